"""Agents by name: ``make_agent("heuristic")`` for configs and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.heuristic import HeuristicAgent
from agents.models.factory import is_model_spec
from agents.random_agent import RandomAgent
from traitors.config import did_you_mean
from traitors.decisions import Agent

_FACTORIES: dict[str, Callable[[], Agent]] = {
    "random": RandomAgent,
    "heuristic": HeuristicAgent,
}

#: Names ``make_agent`` knows, sorted.
AGENT_KINDS: tuple[str, ...] = tuple(sorted(_FACTORIES))


def make_agent(spec: str, **options: Any) -> Agent:
    """A new agent for ``spec`` (``"random"`` or ``"heuristic"``, or a model spec such as
    ``openai:gpt-4o-mini``, ``langchain:openai:gpt-4o-mini`` or ``local``, whose agent takes ``options``
    such as ``store``); ``ValueError`` for anything else."""
    if is_model_spec(spec):
        from agents.llm.seats import make_llm_agent

        return make_llm_agent(spec, **options)
    factory = _FACTORIES.get(spec.strip())
    if factory is None:
        guess = did_you_mean(spec, [*AGENT_KINDS, "local"])
        hint = f" (did you mean {guess!r}?)" if guess else ""
        raise ValueError(
            f"unknown agent {spec!r}{hint}: known agents are {', '.join(AGENT_KINDS)}; models are "
            "openai:MODEL, langchain:PROVIDER:MODEL or local"
        )
    return factory()
