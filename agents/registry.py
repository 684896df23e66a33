"""Agents by name: ``make_agent("heuristic")`` for configs and the CLI."""

from __future__ import annotations

from collections.abc import Callable

from agents.heuristic import HeuristicAgent
from agents.random_agent import RandomAgent
from traitors.decisions import Agent

_FACTORIES: dict[str, Callable[[], Agent]] = {
    "random": RandomAgent,
    "heuristic": HeuristicAgent,
}

#: Names ``make_agent`` knows, sorted.
AGENT_KINDS: tuple[str, ...] = tuple(sorted(_FACTORIES))


def make_agent(spec: str) -> Agent:
    """A new agent for ``spec`` (``"random"`` or ``"heuristic"``); ``ValueError`` for anything else."""
    factory = _FACTORIES.get(spec.strip())
    if factory is None:
        raise ValueError(f"unknown agent {spec!r}: known agents are {', '.join(AGENT_KINDS)}")
    return factory()
