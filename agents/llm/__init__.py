"""The LLM agent: prompts from a player's view, structured decisions, personas (``LLMAgent``)."""

from agents.llm.agent import LLMAgent
from agents.llm.personas import Persona, persona_for

__all__ = ["LLMAgent", "Persona", "persona_for"]
