"""Composition root for scripts: wires scenario, agents and store into games (``run_game``, ``resume_game``).

This module, ``traitors.batch`` and ``traitors.cli`` are the only places in ``traitors`` that import
``agents`` and ``memory``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from agents.models.calllog import CallLog
from agents.models.factory import is_model_spec
from agents.registry import agent_version, make_agent, spec_of
from memory import Memory, finish_game, with_memory
from traitors.config import LLMConfig, Scenario, check_game_id, check_seed, load_scenario
from traitors.decisions import Agent
from traitors.engine import EventSink, Game
from traitors.events import Event, PlayerInfo
from traitors.human import AGENT as HUMAN
from traitors.provenance import FallbackShare, fallback_share
from traitors.state import GameState, replay
from traitors.store import Store

#: A game in which a fallback made more than this share of the model seats' decisions ends ``degraded``.
MAX_FALLBACK_RATE = 0.10


class Tee:
    """An event sink that hands each batch to several sinks in order (store first, then narration)."""

    def __init__(self, *sinks: EventSink | None) -> None:
        self.sinks = [s for s in sinks if s is not None]

    def append(self, events: Sequence[Event]) -> None:
        """Forward one batch to every sink."""
        for sink in self.sinks:
            sink.append(events)


#: What may play a seat from Python: a spec string, an ``Agent`` instance, or a zero-argument factory.
SeatAgent = str | Agent | Callable[[], Agent]
#: One seat agent for every seat, or one per seat.
SeatAgents = SeatAgent | Sequence[SeatAgent]


def _per_seat(scenario: Scenario, agents: SeatAgents | None) -> list[SeatAgent]:
    """One seat agent per seat of ``scenario`` (default: the scenario's ``models``, else ``heuristic``)."""
    names = scenario.player_names()
    if agents is None:
        agents = scenario.seat_agents() or "heuristic"
    if isinstance(agents, str) or not isinstance(agents, Sequence):
        return [agents] * len(names)
    kinds = list(agents)
    if len(kinds) != len(names):
        raise ValueError(f"{len(kinds)} agents given for {len(names)} seats")
    return kinds


def live_agents(scenario: Scenario, agents: SeatAgents | None) -> dict[str, Agent]:
    """The seats of ``scenario`` played by an ``Agent`` instance or factory given from Python, by name
    (a factory is called once per seat; one line, a ``ValueError``, when it fails or makes no agent)."""
    live: dict[str, Agent] = {}
    for name, given in zip(scenario.player_names(), _per_seat(scenario, agents), strict=True):
        if isinstance(given, str):
            continue
        if isinstance(given, Agent) and not isinstance(given, type):
            live[name] = given
            continue
        try:
            made = given()
        except Exception as exc:
            raise ValueError(f"seat {name}: the agent factory raised {type(exc).__name__}: {exc}") from None
        if not isinstance(made, Agent):
            raise ValueError(f"seat {name}: the agent factory made a {type(made).__name__}, not an Agent")
        live[name] = made
    return live


def seat_players(scenario: Scenario, agents: SeatAgents | None = None) -> tuple[PlayerInfo, ...]:
    """Seats of ``scenario`` played by one agent, or one per seat: a spec string (built-in kind, model
    spec, plugin name or import path ``package.module:Class``), an ``Agent`` instance or a zero-argument
    factory (default: the scenario's ``models``, else ``heuristic``). An object from Python is recorded by
    its import path when that leads back to it, else as ``python:module.Class`` (not resumable); a custom
    agent's ``version`` is its installed package's. A model seat's ``persona`` records its persona and
    strategy hints when the scenario's ``llm.personas`` (and ``llm.hints``) are on."""
    names = scenario.player_names()
    given = _per_seat(scenario, agents)
    kinds = [g if isinstance(g, str) else spec_of(g) for g in given]
    for kind in {g for g in given if isinstance(g, str)}:
        make_agent(kind)  # fail before anything is written
    llm = scenario.llm
    personas = dict.fromkeys(names, "")
    if llm.personas and any(is_model_spec(k) for k in kinds):
        from agents.llm.personas import seat_persona

        seats = zip(names, kinds, strict=True)
        personas = {n: seat_persona(n, llm.hints) if is_model_spec(k) else "" for n, k in seats}
    versions = {k: agent_version(k) for k in set(kinds)}
    return tuple(
        PlayerInfo(name=n, agent=k, persona=personas[n], version=versions[k])
        for n, k in zip(names, kinds, strict=True)
    )


def build_agents(
    players: Sequence[PlayerInfo],
    store: Store | None = None,
    llm: LLMConfig | None = None,
    live: dict[str, Agent] | None = None,
) -> dict[str, Agent]:
    """One fresh agent per seat, from each seat's agent spec (model agents keep their response cache and
    call records in ``store``'s database, and play as ``llm``, a scenario's ``llm`` section, says), except
    the seats in ``live``, which keep the agent given from Python."""
    live = live or {}
    opts = {"config": llm} if llm else {}
    return {
        p.name: live[p.name] if p.name in live else make_agent(p.agent, store=store, **opts) for p in players
    }


def open_memory(store: Store | None, enabled: bool = True) -> Memory | None:
    """The shared agent memory in ``store``'s database, or ``None`` without a store or when disabled."""
    return Memory.for_store(store) if store is not None and enabled else None


def _seats(
    players: Sequence[PlayerInfo],
    store: Store | None,
    mem: Memory | None,
    scenario: Scenario,
    new_game: str | None = None,
    live: dict[str, Agent] | None = None,
) -> dict[str, Agent]:
    """The seats' agents (``live`` ones as given from Python), wrapped with memory when ``mem`` is given."""
    seats = build_agents(players, store, scenario.llm, live)
    if mem is None:
        return seats
    return with_memory(seats, players, mem, carry_over=scenario.memory.carry_over, new_game=new_game)


def model_seats(players: Sequence[PlayerInfo]) -> list[PlayerInfo]:
    """The seats played by a language model (their agent is a model spec)."""
    return [p for p in players if is_model_spec(p.agent)]


async def check_models(players: Sequence[PlayerInfo]) -> None:
    """One cheap call to every distinct model endpoint of ``players``; ``ValueError`` with one line naming
    the first seat of a model that does not answer (dead endpoint, wrong key, rejected parameter)."""
    seats: dict[str, str] = {}
    for p in model_seats(players):
        seats.setdefault(p.agent.strip(), p.name)
    if not seats:
        return
    from agents.models.base import ModelConfigError
    from agents.models.probe import probe

    for spec, seat in seats.items():
        try:
            await probe(spec)
        except ModelConfigError as exc:
            raise ValueError(f"seat {seat}: {exc}") from None


def fallback_report(state: GameState) -> FallbackShare:
    """How many of the model seats' decisions a fallback made (every seat's when no seat is a model)."""
    seats = model_seats(state.players) or state.players
    return fallback_share(state.events, {p.name for p in seats})


def is_degraded(state: GameState, max_fallback_rate: float | None = MAX_FALLBACK_RATE) -> bool:
    """Whether a fallback made more than ``max_fallback_rate`` of the model seats' decisions."""
    rate = fallback_report(state).rate
    return max_fallback_rate is not None and rate is not None and rate > max_fallback_rate


def _close(state: GameState, store: Store | None, max_fallback_rate: float | None) -> GameState:
    """Mark an ended game ``degraded`` in ``store`` when its fallback share is over the threshold."""
    if store is not None and state.ended and is_degraded(state, max_fallback_rate):
        store.set_status(state.game_id, "degraded")
    return state


def new_game_id(scenario: Scenario, seed: int) -> str:
    """A readable, unique game id: scenario, seed and a random suffix."""
    return f"{scenario.name}-s{seed}-{uuid.uuid4().hex[:8]}"


async def play_game(
    scenario: Scenario | str | Path,
    seed: int,
    *,
    agents: SeatAgents | None = None,
    store: Store | None = None,
    game_id: str | None = None,
    observer: EventSink | None = None,
    memory: bool = True,
    probe: bool = True,
    max_fallback_rate: float | None = MAX_FALLBACK_RATE,
) -> GameState:
    """Play one new game to the end; every phase's events go to ``store`` then ``observer``. ``agents``: see
    :func:`seat_players` (``Agent`` instances and factories play their seats as given). With a store,
    agents remember (``memory=False`` turns that off, e.g. for speed tests). ``probe`` first checks that
    every model endpoint answers (:func:`check_models`); an ended game whose fallback share exceeds
    ``max_fallback_rate`` is marked ``degraded`` in the store."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    check_seed(seed)
    if game_id is not None:
        check_game_id(game_id)
    players = seat_players(scenario, agents)
    live = live_agents(scenario, agents)
    if probe:
        await check_models(players)
    game_id = game_id or new_game_id(scenario, seed)
    mem = open_memory(store, memory)
    seats = _seats(players, store, mem, scenario, new_game=game_id, live=live)
    game = Game.create(
        game_id,
        scenario,
        seed,
        players,
        seats,
        Tee(store, CallLog.for_store(store), mem, observer),
    )
    state = await game.run()
    if mem is not None:
        await finish_game(seats, state)
    return _close(state, store, max_fallback_rate)


async def resume(
    store: Store,
    game_id: str,
    observer: EventSink | None = None,
    memory: bool = True,
    max_fallback_rate: float | None = MAX_FALLBACK_RATE,
) -> GameState:
    """Continue a stored game from its last event (a finished game is returned as it is, its agents'
    memory completed if it was cut short); an ended game over ``max_fallback_rate`` is marked degraded."""
    events = store.load_events(game_id)
    if not events:
        raise KeyError(f"no game {game_id!r} in {store.url}")
    state = replay(events)
    if any(p.agent == HUMAN for p in state.players):
        raise ValueError(f"game {game_id} records people's votes (imported data); it cannot be played on")
    mem = open_memory(store, memory)
    if state.ended and mem is None:
        return _close(state, store, max_fallback_rate)
    assert state.scenario is not None  # a stored game starts with GameCreated
    seats = _seats(state.players, store, mem, state.scenario)
    if not state.ended:
        state = await Game(state, seats, Tee(store, CallLog.for_store(store), mem, observer)).run()
    if mem is not None:  # also completes the memory of a game stopped right after its last phase
        await finish_game(seats, state)
    return _close(state, store, max_fallback_rate)


def run_game(
    scenario: Scenario | str | Path = "paper",
    seed: int = 0,
    *,
    agents: SeatAgents | None = None,
    db: str | Store | None = None,
    game_id: str | None = None,
    memory: bool = True,
    max_fallback_rate: float | None = MAX_FALLBACK_RATE,
) -> GameState:
    """Synchronous ``play_game`` for scripts and notebooks; ``db`` is a URL or a :class:`Store`."""
    store = db if isinstance(db, Store) else Store(db)
    try:
        return asyncio.run(
            play_game(
                scenario,
                seed,
                agents=agents,
                store=store,
                game_id=game_id,
                memory=memory,
                max_fallback_rate=max_fallback_rate,
            )
        )
    finally:
        if store is not db:
            store.close()


def resume_game(game_id: str, db: str | Store | None = None) -> GameState:
    """Synchronous ``resume`` for scripts."""
    store = db if isinstance(db, Store) else Store(db)
    try:
        return asyncio.run(resume(store, game_id))
    finally:
        if store is not db:
            store.close()
