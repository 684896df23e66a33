"""Playing a chunk of games in one asyncio loop: the unit of work of every executor.

A worker plays new games and resumes unfinished ones through :mod:`traitors.runner`. Events go either to
the shared database or, when the driver is the only writer (Ray workers on other machines cannot share a
SQLite file), to a scratch SQLite database of the chunk, from which each game's new events are returned with
its outcome (memory and ``model_calls`` rows stay behind in that scratch database and are lost with it:
a Ray batch on SQLite keeps the events, whose ``ModelCall``s hold tokens, attempts and outcomes, but no
latency, cost or cache-hit measurements).

A :class:`Control` carries the driver's two signals into the loop (*drain*: start no new game; *halt*: stop
every game at its next phase boundary, its finished phases stored) and carries progress back (tokens and
cost per phase, one outcome per game).
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from agents.models.prices import Price, cost_of, label_prices, price_of
from traitors import runner
from traitors.batch.limits import AdaptiveGate
from traitors.batch.plan import GameTask
from traitors.events import Event, GameCreated, ModelCall, event_from_json, event_to_json
from traitors.state import GameState, replay
from traitors.store import Store


class Halted(Exception):
    """Raised from the sink after a phase is stored, when the driver asked every game to stop."""


class Control(Protocol):
    """The driver's signals and the progress channel, as a worker sees them."""

    def draining(self) -> bool:
        """True once no new game may start (budget reached, or halting)."""
        ...

    def halting(self) -> bool:
        """True once running games must stop at their next phase boundary."""
        ...

    def report(self, message: tuple[Any, ...]) -> None:
        """Send ``("usage", tokens, cost)``, ``("backoff", limit)`` or ``("game", GameOutcome)``."""
        ...


class NoControl:
    """Never drains or halts; drops reports (Ray tasks report through their return value)."""

    def draining(self) -> bool:
        return False

    def halting(self) -> bool:
        return False

    def report(self, message: tuple[Any, ...]) -> None:
        return None


@dataclass
class GameOutcome:
    """What became of one planned game."""

    game_id: str
    condition: str
    status: str  # finished | skipped (already finished) | stopped | not_started | failed
    winner: str | None = None
    days: int = 0
    tokens: int = 0
    cost: float = 0.0  # USD; NaN when a call's price is unknown
    resumed: bool = False
    error: str | None = None
    events: list[str] = field(default_factory=list)  # new events (JSON) when the driver writes
    decisions: int = 0  # the model seats' decisions (every seat's when none is a model)
    fallbacks: int = 0  # of those, made by a fallback
    degraded: bool = False  # ended with a fallback share over the experiment's max_fallback_rate

    def account(self, state: GameState, max_fallback_rate: float) -> None:
        """Fill the fallback counts and the degraded flag from an ended game."""
        share = runner.fallback_report(state)
        self.decisions, self.fallbacks = share.decisions, share.fallbacks
        self.degraded = runner.is_degraded(state, max_fallback_rate)


class Meter:
    """Observer sink: counts each stored phase's model tokens and cost, and halts the game when asked.
    ``prices`` maps each model label to its price (USD per million input, cached-input, output tokens),
    from the specs at batch start; a label it lacks is looked up in the price table. A call whose price is
    unknown makes the cost NaN (unknown), never 0."""

    def __init__(
        self,
        control: Control,
        outcome: GameOutcome,
        prices: Mapping[str, Price | None],
        gate: AdaptiveGate | None = None,
    ) -> None:
        self.control, self.outcome, self.prices, self.gate = control, outcome, dict(prices), gate

    def _price(self, model: str) -> Price | None:
        if model not in self.prices:
            self.prices[model] = price_of(model)
        return self.prices[model]

    def append(self, events: Sequence[Event]) -> None:
        """Account one stored batch; raise :class:`Halted` if the driver is stopping."""
        tokens, cost, calls, retried = 0, 0.0, 0, 0
        for e in events:
            if isinstance(e, ModelCall) and e.route != "fallback":
                tokens += e.prompt_tokens + e.completion_tokens
                one = cost_of(self._price(e.model), e.prompt_tokens, e.cached_tokens, e.completion_tokens)
                cost += math.nan if one is None else one
                calls += 1
                retried += e.attempts > 1
        if self.gate is not None and self.gate.observe(calls, retried):
            self.control.report(("backoff", self.gate.limit))
        if tokens:
            self.outcome.tokens += tokens
            self.outcome.cost += cost
            self.control.report(("usage", tokens, cost))
        if self.control.halting():
            raise Halted


def check_matches(task: GameTask, created: GameCreated) -> str | None:
    """Why a stored game is not the planned one (another seed, scenario or seating), or ``None``."""
    agents = tuple(p.agent for p in created.players)
    if created.seed != task.seed or agents != task.agents or created.scenario != task.scenario.name:
        return (
            f"stored game {task.game_id} was played with another seed, scenario or seating than the "
            "experiment now plans (was the experiment file edited?)"
        )
    return None


async def play_task(
    task: GameTask, sink: Store, control: Control, gate: AdaptiveGate | None = None
) -> GameOutcome:
    """Play or resume one game; never raises (a failure is an outcome)."""
    out = GameOutcome(task.game_id, task.condition, "failed")
    meter = Meter(control, out, label_prices(task.agents, strict=False), gate)
    try:
        stored = sink.load_events(task.game_id)
        if stored:
            state = replay(stored)
            assert isinstance(stored[0], GameCreated)
            out.error = check_matches(task, stored[0])
            if out.error is not None:
                return out
            if state.ended:
                out.status, out.winner, out.days = "skipped", state.winner, state.day
                out.account(state, task.max_fallback_rate)
                return out
            if control.draining():
                out.status = "not_started"
                return out
            out.resumed = True
            state = await runner.resume(
                sink,
                task.game_id,
                observer=meter,
                memory=task.memory,
                max_fallback_rate=task.max_fallback_rate,
            )
        else:
            if control.draining():
                out.status = "not_started"
                return out
            state = await runner.play_game(
                task.scenario,
                task.seed,
                agents=list(task.agents),
                store=sink,
                game_id=task.game_id,
                observer=meter,
                memory=task.memory,
                probe=False,  # the driver checked every model once before the batch
                max_fallback_rate=task.max_fallback_rate,
            )
        out.status, out.winner, out.days = "finished", state.winner, state.day
        out.account(state, task.max_fallback_rate)
    except Halted:
        out.status = "stopped"
    except Exception as exc:  # one broken game must not stop the batch
        out.error = f"{type(exc).__name__}: {exc}"[:500]
    return out


def share_model_limit(specs: set[str], store: Store, concurrency: int) -> None:
    """Build each model's stack once for this chunk with ``concurrency`` calls in flight: every game of
    the chunk then shares one limit per model (and its retries honour 429s' Retry-After)."""
    from agents.models.factory import is_model_spec

    models = sorted(s for s in specs if is_model_spec(s))
    if not models:
        return
    from agents.llm.seats import model_for

    for spec in models:
        model_for(spec, store.engine, concurrency=concurrency)


async def run_chunk(
    tasks: Sequence[GameTask], db_url: str | None, concurrency: int, control: Control
) -> list[GameOutcome]:
    """Play ``tasks`` with at most ``concurrency`` games in flight. ``db_url=None``: play in a scratch
    database seeded with each task's ``prior`` events and return every game's new events."""
    scratch = tempfile.TemporaryDirectory(prefix="traitors-chunk-") if db_url is None else None
    store = Store(f"sqlite:///{scratch.name}/chunk.db" if scratch else db_url, create=scratch is not None)
    for task in tasks:
        if scratch is not None and task.prior:
            store.append([event_from_json(e) for e in task.prior])
    share_model_limit({spec for t in tasks for spec in t.agents}, store, concurrency)
    gate = AdaptiveGate(concurrency)

    async def one(task: GameTask) -> GameOutcome:
        async with gate:
            outcome = await play_task(task, store, control, gate)
        if scratch is not None:
            outcome.events = [event_to_json(e) for e in store.load_events(task.game_id)[len(task.prior) :]]
        control.report(("game", outcome))
        return outcome

    try:
        return list(await asyncio.gather(*(one(t) for t in tasks)))
    finally:
        store.close()
        if scratch is not None:
            scratch.cleanup()
