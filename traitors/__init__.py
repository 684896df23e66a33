"""Traitors: the game engine and its public API.

Core (imports none of ``agents``, ``memory``, ``metrics``, ``app``)::

    from traitors import Scenario, load_scenario, Game, replay, view, Store

Composition root (wires agents, memory and the store)::

    from traitors import run_game, resume_game
    state = run_game("paper", seed=7, db="sqlite:///runs.db")

Every name is imported on first use, so importing one core module (``traitors.events``) loads no other.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Scenario": "traitors.config",
    "ScenarioError": "traitors.config",
    "load_scenario": "traitors.config",
    "Agent": "traitors.decisions",
    "Decision": "traitors.decisions",
    "DecisionRequest": "traitors.decisions",
    "Game": "traitors.engine",
    "GameState": "traitors.state",
    "apply": "traitors.state",
    "replay": "traitors.state",
    "Store": "traitors.store",
    "StoreError": "traitors.store",
    "PlayerView": "traitors.views",
    "view": "traitors.views",
    "run_game": "traitors.runner",
    "resume_game": "traitors.runner",
    "play_game": "traitors.runner",
    "run_batch": "traitors.batch",
    "import_show": "traitors.human",
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
    "import_show",
    "load_scenario",
    "play_game",
    "replay",
    "resume_game",
    "run_batch",
    "run_game",
    "view",
]


def __getattr__(name: str) -> Any:
    """Import on first use, so that ``import traitors.events`` loads nothing else."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'traitors' has no attribute {name!r}")
