"""Traitors: the game engine and its public API.

Core (imports none of ``agents``, ``memory``, ``metrics``, ``app``)::

    from traitors import Scenario, load_scenario, Game, replay, view, Store

Composition root (wires agents, memory and the store; imported lazily so that importing the core stays
light)::

    from traitors import run_game, resume_game
    state = run_game("paper", seed=7, db="sqlite:///runs.db")
"""

from __future__ import annotations

from typing import Any

from traitors.config import Scenario, ScenarioError, load_scenario
from traitors.decisions import Agent, Decision, DecisionRequest
from traitors.engine import Game
from traitors.state import GameState, apply, replay
from traitors.store import Store, StoreError
from traitors.views import PlayerView, view

_LAZY = {
    "run_game": "traitors.runner",
    "resume_game": "traitors.runner",
    "play_game": "traitors.runner",
    "run_batch": "traitors.batch",
}

__all__ = [
    "Agent",
    "Decision",
    "DecisionRequest",
    "Game",
    "GameState",
    "PlayerView",
    "Scenario",
    "ScenarioError",
    "Store",
    "StoreError",
    "apply",
    "load_scenario",
    "play_game",
    "replay",
    "resume_game",
    "run_batch",
    "run_game",
    "view",
]


def __getattr__(name: str) -> Any:
    """Load the composition-root functions on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'traitors' has no attribute {name!r}")
