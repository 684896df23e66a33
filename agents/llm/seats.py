"""``make_llm_agent(spec)``: an :class:`LLMAgent` for a model spec, sharing one model stack (backend,
limit, cache, recorder) per (spec, database) within the process."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from agents.llm.agent import LLMAgent
from agents.llm.notes import NoteBook
from agents.models.base import ChatModel
from agents.models.factory import build_model

_stacks: dict[tuple[str, int, str], tuple[Any, ChatModel]] = {}


def model_for(spec: str, engine: Any = None, **options: Any) -> ChatModel:
    """The shared wrapped model for ``spec`` on ``engine`` (built on first use)."""
    env = "|".join(os.environ.get(k, "") for k in ("OPENAI_BASE_URL", "OPENAI_API_KEY"))
    key = (spec.strip(), id(engine), hashlib.sha256(env.encode()).hexdigest())
    held = _stacks.get(key)
    if held is None or held[0] is not engine:
        held = _stacks[key] = (engine, build_model(spec.strip(), engine=engine, **options))
    return held[1]


def make_llm_agent(spec: str, *, store: Any = None, engine: Any = None, **agent_options: Any) -> LLMAgent:
    """A new seat agent for ``spec``; ``store`` (a ``traitors.store.Store``) or ``engine`` gives the
    response cache and the ``model_calls`` table. Raises ``ModelConfigError`` (a ``ValueError``) with one
    line when the spec cannot work (unknown backend, missing key, package or model file)."""
    engine = engine if engine is not None else getattr(store, "engine", None)
    agent_options.setdefault("notes", NoteBook(engine))
    return LLMAgent(model_for(spec, engine), **agent_options)
