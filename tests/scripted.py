"""Scripted agents and small game helpers for the engine tests.

``Scripted(fn)`` answers every request with ``fn(view, request)`` and records what it was shown.
``table_fn(table)`` turns a table of scripted choices into such a function, falling back to the first
legal answer, and ``play(...)`` runs a whole game with hand-chosen roles and returns its events.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.random_agent import RandomAgent
from traitors.config import Scenario
from traitors.decisions import Decision, DecisionRequest
from traitors.engine import Game, setup_events
from traitors.events import (
    Banished,
    BeliefReported,
    DayStarted,
    DecisionFallback,
    Event,
    GameEnded,
    MissionCompleted,
    MurderBlocked,
    Murdered,
    PlayerInfo,
    RecruitAnswered,
    RecruitOffered,
    RolesAssigned,
    ShieldAwarded,
    Statement,
    VoteCast,
    VoteResult,
)
from traitors.state import GameState, replay
from traitors.views import PlayerView

DecideFn = Callable[[PlayerView, DecisionRequest], Any]


def first_legal(view: PlayerView, request: DecisionRequest) -> Decision:
    """The first legal answer: a plain statement, flat beliefs, or the first option."""
    if request.kind == "speak":
        return Decision(text=f"{view.me} speaks on day {view.day}.")
    if request.kind == "belief":
        return Decision(beliefs=dict.fromkeys(request.options, 0.5))
    return Decision(choice=request.options[0])


def _as_decision(value: Any, view: PlayerView, request: DecisionRequest) -> Decision:
    """A table entry made into a decision: a name (choice), a Decision, a callable, or an exception."""
    if isinstance(value, BaseException):
        raise value
    if callable(value):
        value = value(view, request)
    if isinstance(value, str):
        return Decision(choice=value)
    return value


class Scripted:
    """An agent whose ``act`` calls ``fn(view, request)``; every (view, request) it saw is kept."""

    def __init__(self, fn: DecideFn = first_legal) -> None:
        self.fn = fn
        self.calls: list[tuple[PlayerView, DecisionRequest]] = []

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """Record the question, then answer it with the script."""
        self.calls.append((view, request))
        return _as_decision(self.fn(view, request), view, request)


def table_fn(table: Mapping[tuple, Any], default: DecideFn = first_legal) -> DecideFn:
    """A script from a table. Keys, most specific first: ``(kind, day, ballot, player)``,
    ``(kind, day, player)``, ``(kind, player)``, ``(kind, day)``, ``(kind,)``; ``kind`` is the request
    kind (``vote``, ``murder``, ``recruit``, ``answer_offer``, ``endgame``, ``speak``, ``belief``).
    Values: a choice string, a Decision, a callable ``(view, request)``, or an exception to raise.
    Anything not in the table gets ``default``."""

    def fn(view: PlayerView, request: DecisionRequest) -> Any:
        k, d, me = request.kind, view.day, view.me
        for key in ((k, d, request.ballot, me), (k, d, me), (k, me), (k, d), (k,)):
            if key in table:
                return table[key]
        return default(view, request)

    return fn


def votes(kind: str, day: int, ballot: int, choices: Mapping[str, str]) -> dict[tuple, str]:
    """Table entries for one ballot: ``{voter: target}`` → ``{(kind, day, ballot, voter): target}``."""
    return {(kind, day, ballot, voter): target for voter, target in choices.items()}


def scenario(**overrides: Any) -> Scenario:
    """A small, quiet test scenario (6 players, 1 Traitor, fixed order, no talk, no beliefs)."""
    base: dict[str, Any] = {
        "name": "test", "players": 6, "traitors": 1, "max_days": 5,
        "discussion": {"turns": 0, "order": "fixed"}, "night": {"turns": 0}, "beliefs": {"enabled": False},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return Scenario.model_validate(base)


def seats(sc: Scenario, agent: str = "scripted") -> list[PlayerInfo]:
    """One PlayerInfo per seat of ``sc``."""
    return [PlayerInfo(name=n, agent=agent) for n in sc.player_names()]


def initial_state(sc: Scenario, traitors: Sequence[str] | None = None, seed: int = 0,
                  game_id: str = "g") -> GameState:
    """The state after setup; ``traitors`` overrides the seeded roles (hand-picked Traitors)."""
    events = setup_events(game_id, sc, seed, seats(sc))
    if traitors is not None:
        assert len(traitors) == sc.traitors
        roles = {n: "traitor" if n in traitors else "faithful" for n in sc.player_names()}
        old = events[1]
        assert isinstance(old, RolesAssigned)
        events[1] = old.model_copy(update={"roles": roles})
    return replay(events)


@dataclass
class Played:
    """A finished scripted game: final state, its events, and the agents (with what they were shown)."""

    state: GameState
    agents: dict[str, Scripted]
    game: Game
    events: tuple[Event, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.events = self.state.events

    def after_setup(self) -> list[Event]:
        """Events after GameCreated and RolesAssigned."""
        return list(self.events[2:])


def play(sc: Scenario, traitors: Sequence[str] | None, script: DecideFn | Mapping[str, DecideFn],
         seed: int = 0, game_id: str = "g", max_attempts: int = 3) -> Played:
    """Play a whole game: one script for everyone, or a script per player (missing → first legal)."""
    state = initial_state(sc, traitors, seed, game_id)
    if callable(script):
        agents = {n: Scripted(script) for n in state.names}
    else:
        agents = {n: Scripted(script.get(n, first_legal)) for n in state.names}
    game = Game(state, agents, max_attempts=max_attempts)
    final = asyncio.run(game.run())
    return Played(final, agents, game)


def run_game(state: GameState, agents: Mapping[str, Any], max_attempts: int = 3) -> GameState:
    """Run a game from ``state`` to its end with the given agents."""
    return asyncio.run(Game(state, agents, max_attempts=max_attempts).run())


def brief(event: Event) -> tuple:
    """A short, hand-writable tuple for an event (what the mechanics tests compare)."""
    match event:
        case DayStarted():
            return ("day", event.day)
        case MissionCompleted():
            return ("mission", event.success, event.pot_added, event.pot_total)
        case ShieldAwarded():
            return ("shield", event.player)
        case Statement():
            return ("say", event.channel, event.turn, event.speaker)
        case BeliefReported():
            return ("belief", event.observer)
        case VoteCast():
            return ("vote", event.kind, event.ballot, event.voter, event.target, event.valid)
        case VoteResult():
            return ("result", event.kind, event.ballot, event.outcome, event.target, event.counts, event.tied)
        case Banished():
            return ("banished", event.player, event.revealed_role)
        case Murdered():
            return ("murdered", event.player)
        case MurderBlocked():
            return ("blocked", event.player)
        case RecruitOffered():
            return ("offer", event.player, event.ultimatum)
        case RecruitAnswered():
            return ("answer", event.player, event.accepted)
        case DecisionFallback():
            return ("fallback", event.player, event.kind, event.attempts)
        case GameEnded():
            return ("end", event.winner, event.reason)
    return (event.type,)


def briefs(events: Iterable[Event], skip: Sequence[str] = ()) -> list[tuple]:
    """``brief`` of each event whose ``type`` is not in ``skip``."""
    return [brief(e) for e in events if e.type not in skip]


def ballot(kind: str, number: int, choices: Mapping[str, str | None]) -> list[tuple]:
    """Expected VoteCast briefs for one ballot, voters in seat order (the default seat names are in
    alphabetical order, so sorted by name); a ``None`` target is an invalid paper."""
    return [("vote", kind, number, v, t, t is not None) for v, t in sorted(choices.items())]


# -- seeded corpora of whole games (invariants, isolation, determinism) ----------------------------------

#: The three scenarios the corpus tests run: the paper's defaults, a TV-like setting with every mechanic,
#: and a quick one with the other switches flipped (secret count and roles, no-banishment ties, fixed order).
CORPUS_SCENARIOS: dict[str, Scenario] = {
    "paper": Scenario(name="paper", players=10, traitors=3),
    "classic": Scenario(
        name="classic", players=22, traitors=3, recruitment={"enabled": True},
        missions={"enabled": True, "shields": 2}, endgame={"enabled": True, "at_players": 6},
        night={"murder_rule": "unanimity", "turns": 1}, discussion={"turns": 1},
    ),
    "quick": Scenario(
        name="quick", players=6, traitors=1, max_days=4, reveal_traitor_count=False,
        discussion={"turns": 2, "order": "fixed"},
        banishment={"reveal_role": False, "second_tie": "no_banishment"},
    ),
}


def corpus_scenario(name: str, seed: int) -> Scenario:
    """The corpus scenario ``name``; odd seeds of ``classic`` play recruitment as an ultimatum."""
    sc = CORPUS_SCENARIOS[name]
    if name == "classic" and seed % 2:
        return sc.model_copy(update={"recruitment": sc.recruitment.model_copy(update={"mode": "ultimatum"})})
    return sc


class Flaky:
    """Wraps an agent; with probability ``p`` (seeded by the request) answers illegally instead: a
    self-vote, a name that is no option, an exception, an empty statement, or out-of-range beliefs."""

    def __init__(self, inner: Any, p: float = 0.3) -> None:
        self.inner = inner
        self.p = p

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """Usually the inner agent's answer, sometimes an illegal one (or a raised error)."""
        rng = random.Random(f"flaky-{request.seed}-{request.attempt}")
        if rng.random() >= self.p:
            return await self.inner.act(view, request)
        how = rng.randrange(4)
        if how == 0:
            raise RuntimeError("flaky agent failed")
        if request.kind == "speak":
            return Decision(text="" if how == 1 else "x", accuses=(view.me,) if how != 1 else ())
        if request.kind == "belief":
            return Decision(beliefs=dict.fromkeys(request.options, 2.0 if how == 1 else -0.5))
        return Decision(choice=view.me if how == 1 else "Nobody")


class Recorder:
    """Wraps an agent and records, for every request, the view, the request and the truth at that moment
    (everyone's role and the living players, read from the running game via ``holder['game']``)."""

    def __init__(self, inner: Any, holder: dict[str, Game], log: list[tuple]) -> None:
        self.inner = inner
        self.holder = holder
        self.log = log

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """Record, then delegate."""
        state = self.holder["game"].state
        self.log.append((view, request, dict(state.roles), state.alive))
        return await self.inner.act(view, request)


def corpus_game(name: str, seed: int, flaky: bool = False,
                record: list[tuple] | None = None) -> GameState:
    """One seeded game of corpus scenario ``name`` with random agents (seeded roles); with ``flaky``,
    every other seat sometimes answers illegally; with ``record``, every (view, request, roles, alive)
    is appended to it."""
    sc = corpus_scenario(name, seed)
    agents: dict[str, Any] = {}
    for i, n in enumerate(sc.player_names()):
        agents[n] = Flaky(RandomAgent()) if flaky and i % 2 else RandomAgent()
    holder: dict[str, Game] = {}
    if record is not None:
        agents = {n: Recorder(a, holder, record) for n, a in agents.items()}
    game = holder["game"] = Game(replay(setup_events(f"{name}-{seed}", sc, seed, seats(sc, "random"))),
                                 agents)
    return asyncio.run(game.run())
