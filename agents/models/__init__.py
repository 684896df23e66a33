"""Model backends behind one protocol (``openai:``, ``langchain:``, ``local``) and composable wrappers
(retry, limit, SQL response cache, recorder). ``make_llm_agent(spec)`` is the registry's entry point."""

from agents.models.base import ChatModel, Completion, ModelConfigError, ModelError, ModelRequest
from agents.models.factory import backend_for, build_model, is_model_spec

__all__ = [
    "ChatModel",
    "Completion",
    "ModelConfigError",
    "ModelError",
    "ModelRequest",
    "backend_for",
    "build_model",
    "is_model_spec",
]
