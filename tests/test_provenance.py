"""Who decided: every decision event's ``decided_by``, the ``DecisionFallback`` that explains each fallback,
the fallback share, and the marks in the transcript (docs/reproducibility.md)."""

from __future__ import annotations

import asyncio

from agents.llm import LLMAgent
from agents.models.base import ModelError
from tests.scripted import Scripted, first_legal, initial_state
from tests.test_llm_prompts import Stub
from traitors import transcript
from traitors.config import Scenario
from traitors.decisions import Decision, DecisionRequest
from traitors.engine import Game
from traitors.events import (
    BeliefReported,
    DecisionFallback,
    DecisionReasoning,
    GameCreated,
    PlayerInfo,
    Statement,
    VoteCast,
)
from traitors.provenance import decisions, fallback_share
from traitors.runner import is_degraded
from traitors.state import replay
from traitors.views import PlayerView, view

SMALL = Scenario(name="small", players=6, traitors=1, max_days=2)


def illegal_first(view: PlayerView, request: DecisionRequest) -> Decision:
    """An illegal vote on the first ask, then the first legal answer."""
    if request.kind == "vote" and request.attempt == 1:
        return Decision(choice="Nobody")
    return first_legal(view, request)


def never_votes(view: PlayerView, request: DecisionRequest) -> Decision:
    """Every vote illegal; everything else legal."""
    return Decision(choice="Nobody") if request.kind == "vote" else first_legal(view, request)


def _play(agents: dict) -> tuple:
    state = initial_state(SMALL, ["Fay"], seed=3)
    return asyncio.run(Game(state, agents).run()).events


def test_retry_and_engine_fallback_are_recorded() -> None:
    names = SMALL.player_names()
    agents = {n: Scripted(first_legal) for n in names}
    agents["Alex"], agents["Bea"] = Scripted(illegal_first), Scripted(never_votes)
    events = _play(agents)
    votes = [e for e in events if isinstance(e, VoteCast) and e.kind == "banish" and e.ballot == 1]
    by = {(v.day, v.voter): v.decided_by for v in votes}
    assert by[1, "Alex"] == "retry" and by[1, "Bea"] == "fallback" and by[1, "Cal"] == "agent"
    bea = next(v for v in votes if v.voter == "Bea")
    assert not bea.valid and bea.target is None
    engine = [e for e in events if isinstance(e, DecisionFallback)]
    assert engine and all(e.source == "engine" and e.player == "Bea" and "Nobody" in e.error for e in engine)
    made = decisions(events)
    assert {d.decided_by for d in made} == {"agent", "retry", "fallback"}
    share = fallback_share(events, {"Bea"})
    bea_votes = sum(isinstance(e, VoteCast) and e.voter == "Bea" for e in events)
    assert share.fallbacks == bea_votes > 0 and share.decisions > share.fallbacks
    assert fallback_share(events, {"Cal"}).rate == 0.0
    text = "\n".join(line for _, line in transcript.lines(events))
    assert "Bea→(invalid) [fallback]" in text and "Alex→" in text


def test_an_llm_seats_fallback_is_marked_and_explained() -> None:
    """A model that always fails: the heuristic fallback plays, every decision says so, the game is
    degraded, and nothing the fallback decided is recorded as the model's."""
    names = SMALL.player_names()
    agents = {n: Scripted(first_legal) for n in names}
    agents["Alex"] = LLMAgent(Stub([ModelError("connection refused")] * 500), reflect="off")
    state = initial_state(SMALL, ["Fay"], seed=3)
    created = state.events[0]
    assert isinstance(created, GameCreated)
    players = tuple(PlayerInfo(name=n, agent="openai:m" if n == "Alex" else "x") for n in names)
    state = replay([created.model_copy(update={"players": players}), *state.events[1:]])
    events = asyncio.run(Game(state, agents).run()).events
    alex = [d for d in decisions(events) if d.player == "Alex"]
    assert alex and {d.decided_by for d in alex} == {"fallback"}
    said = [e for e in events if isinstance(e, Statement) and e.speaker == "Alex"]
    assert said and all(e.decided_by == "fallback" for e in said)
    beliefs = [e for e in events if isinstance(e, BeliefReported) and e.observer == "Alex"]
    assert beliefs and all(e.decided_by == "fallback" for e in beliefs)
    notes = [e for e in events if isinstance(e, DecisionFallback) and e.player == "Alex"]
    assert len(notes) == len(alex) and all(e.source == "agent" and "failed" in e.error for e in notes)
    assert fallback_share(events, {"Alex"}).rate == 1.0
    final = replay(events)
    assert is_degraded(final) and not is_degraded(final, max_fallback_rate=1.0)
    lines = [line for _, line in transcript.lines(events)]
    assert any(line.startswith("Alex: ") and line.endswith(transcript.FALLBACK_MARK) for line in lines)
    assert any("Alex's speak was made by the agent's fallback" in line for line in lines)


def test_private_reasoning_is_logged_host_only() -> None:
    def thinking(view: PlayerView, request: DecisionRequest) -> Decision:
        decision = first_legal(view, request)
        return decision.model_copy(update={"reasoning": f"{view.me} thinks before {request.kind}."})

    events = _play({n: Scripted(thinking) for n in SMALL.player_names()})
    notes = [e for e in events if isinstance(e, DecisionReasoning)]
    assert notes and all(e.audience == () for e in notes)
    assert {e.kind for e in notes} >= {"speak", "belief", "vote", "murder"}
    assert all(e.text == f"{e.player} thinks before {e.kind}." for e in notes)
    final = replay(events)
    for name in final.names:
        assert not any(isinstance(e, DecisionReasoning) for e in view(final, name).events)
