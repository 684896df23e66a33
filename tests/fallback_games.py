"""Games with fallbacks, played offline: LLM seats whose model is down (every decision is the LLM agent's
heuristic fallback, ``decided_by="fallback"``, a ``DecisionFallback`` with ``source="agent"``) and a stubborn
offline seat whose illegal answers make the engine abstain (invalid votes, missing speeches and beliefs, a
``DecisionFallback`` with ``source="engine"``).

Shared by the metrics and app tests.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import update

from agents.heuristic import HeuristicAgent
from agents.llm import LLMAgent
from agents.models.base import Completion, ModelError, ModelRequest
from traitors.config import Scenario
from traitors.decisions import Decision, DecisionRequest
from traitors.engine import Game
from traitors.events import Event, PlayerInfo
from traitors.store import Store
from traitors.store import games as games_table
from traitors.views import PlayerView

DEAD = "openai:dead-endpoint"
SCENARIO = Scenario(name="fallbacks", players=8, traitors=2, max_days=6)


class DeadModel:
    """A chat model whose endpoint never answers."""

    name = DEAD

    async def text(self, request: ModelRequest) -> Completion:
        """Fail like a dead endpoint."""
        raise ModelError("connection refused")

    async def structured(self, request: ModelRequest) -> Completion:
        """Fail like a dead endpoint."""
        raise ModelError("connection refused")


class Stubborn:
    """The heuristic, except that on ``days`` every answer is illegal (the engine retries, then abstains)."""

    def __init__(self, days: tuple[int, ...] = (1,)) -> None:
        self.inner, self.days = HeuristicAgent(), days

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """An illegal answer on the stubborn days, the heuristic's otherwise."""
        if view.day in self.days:
            if request.kind == "speak":
                return Decision(text="")
            if request.kind == "belief":
                return Decision(beliefs={"Nobody": 2.0})
            return Decision(choice="Nobody")
        return await self.inner.act(view, request)


def seat_specs(scenario: Scenario = SCENARIO, dead: int = 3) -> list[PlayerInfo]:
    """The first ``dead`` seats play the dead model, the last one is stubborn, the others the heuristic."""
    names = scenario.player_names()
    return [
        PlayerInfo(name=n, agent=DEAD if i < dead else "heuristic", persona="") for i, n in enumerate(names)
    ]


def play_fallback_game(
    store: Store, game_id: str, seed: int, scenario: Scenario = SCENARIO, dead: int = 3
) -> tuple[Event, ...]:
    """Play one game with ``dead`` LLM seats on a dead endpoint and one stubborn seat; returns its events."""
    players = seat_specs(scenario, dead)
    agents: dict = {p.name: HeuristicAgent() for p in players}
    for p in players[:dead]:
        agents[p.name] = LLMAgent(DeadModel(), reflect="off")
    agents[players[-1].name] = Stubborn()
    game = Game.create(game_id, scenario, seed, players, agents, store)
    return asyncio.run(game.run()).events


def set_status(store: Store, game_id: str, status: str) -> None:
    """Set a stored game's status."""
    with store.engine.begin() as conn:
        conn.execute(update(games_table).where(games_table.c.game_id == game_id).values(status=status))


def mark_degraded(store: Store, game_id: str) -> None:
    """Set the stored status to ``degraded``, as ``traitors.runner`` does for a game over its fallback
    threshold."""
    set_status(store, game_id, "degraded")
