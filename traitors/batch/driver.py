"""``run_batch``: plan an experiment, skip its finished games, run or resume the rest on an executor, with
progress, budgets and a graceful Ctrl-C (first: stop at the next phase boundary; second: abort now)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from agents.models.factory import is_model_spec, model_label
from agents.models.prices import label_prices, suggest_price
from traitors import runner
from traitors.batch.executors import BACKENDS, Signals, run_local, run_process, run_ray
from traitors.batch.plan import GameTask, plan_games
from traitors.batch.progress import ProgressBar, Tally, summary_rows
from traitors.batch.spec import Experiment, ExperimentError, load_experiment, safe_name
from traitors.batch.worker import GameOutcome, check_matches
from traitors.config import _format_validation
from traitors.events import GameCreated, PlayerInfo, event_from_json, event_to_json
from traitors.schema import ensure_schema
from traitors.state import replay
from traitors.store import Store, events, games, resolve_url


@dataclass
class BatchResult:
    """What a batch did: one outcome per planned game, totals, and why it stopped early (if it did)."""

    experiment: str
    outcomes: list[GameOutcome]
    wall_s: float
    tokens: int = 0
    cost: float = 0.0
    stopped: str | None = None
    backoffs: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)

    def count(self, *statuses: str) -> int:
        """Games whose status is one of ``statuses``."""
        return sum(o.status in statuses for o in self.outcomes)


def prepare(
    experiment: Experiment | str | Path,
    models: Sequence[str] | None = None,
    max_cost: float | None = None,
    max_fallback_rate: float | None = None,
) -> tuple[Experiment, list[GameTask]]:
    """Load, override ``models`` and ``max_fallback_rate``, validate every agent spec and plan; with
    ``max_cost``, every model needs a known price (its spec's ``?price=`` or the price table). Raises
    :class:`ExperimentError`."""
    source = str(experiment) if not isinstance(experiment, Experiment) else f"<{experiment.name}>"
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    overrides: dict[str, Any] = {"models": tuple(models)} if models else {}
    if max_fallback_rate is not None:
        overrides["max_fallback_rate"] = max_fallback_rate
    if overrides:
        try:
            exp = Experiment.model_validate(exp.model_dump() | overrides | {"base_dir": exp.base_dir})
        except ValidationError as err:
            raise ExperimentError(_format_validation(source, err)) from None
    scenarios = exp.load_scenarios(source)
    tasks = plan_games(exp, scenarios)
    fields = {safe_name(m): f"models.{i}" for i, m in enumerate(exp.models)}
    fields.update({p.name: f"populations.{i}.agents" for i, p in enumerate(exp.populations)})
    checked: set[str] = set()
    for task in tasks:
        population = task.condition.split("/", 1)[1]
        if population not in checked:
            checked.add(population)
            try:
                runner.seat_players(task.scenario, list(task.agents))
            except ValueError as err:
                raise ExperimentError(f"{source}: {fields[population]}: {err}") from None
    if max_cost is not None:
        check_prices(sorted({a for t in tasks for a in t.agents}))
    return exp, tasks


def check_prices(specs: Sequence[str]) -> None:
    """Raise :class:`ExperimentError` (one line, for ``--max-cost``) when a model spec has no known price."""
    try:
        known = label_prices(specs)
    except ValueError as err:
        raise ExperimentError(f"--max-cost: {err}") from None
    for spec in specs:
        if is_model_spec(spec) and known.get(model_label(spec)) is None:
            raise ExperimentError(f"--max-cost: {suggest_price(spec)}")


def check_endpoints(tasks: Sequence[GameTask]) -> None:
    """One cheap call to every distinct model of the experiment (:func:`traitors.runner.check_models`);
    raises :class:`ExperimentError` naming the condition and seat of a model that does not answer."""
    first: dict[str, PlayerInfo] = {}
    for task in tasks:
        for name, spec in zip(task.scenario.player_names(), task.agents, strict=True):
            first.setdefault(spec.strip(), PlayerInfo(name=f"{name} of {task.condition}", agent=spec))
    try:
        asyncio.run(runner.check_models(list(first.values())))
    except ValueError as err:
        raise ExperimentError(str(err)) from None


def _stored(store: Store, tasks: Sequence[GameTask]) -> dict[str, GameCreated]:
    """The stored ``GameCreated`` event of every planned game that exists."""
    ids = [t.game_id for t in tasks]
    found: dict[str, GameCreated] = {}
    with store.engine.connect() as conn:
        for i in range(0, len(ids), 500):
            query = select(events.c.payload).where(events.c.game_id.in_(ids[i : i + 500]), events.c.seq == 0)
            for (payload,) in conn.execute(query):
                created = event_from_json(payload)
                assert isinstance(created, GameCreated)
                found[created.game_id] = created
    return found


def _finished(store: Store, tasks: Sequence[GameTask]) -> dict[str, dict[str, Any]]:
    ids = [t.game_id for t in tasks]
    rows: dict[str, dict[str, Any]] = {}
    with store.engine.connect() as conn:
        for i in range(0, len(ids), 500):
            done = games.c.status.in_(("finished", "degraded"))
            query = select(games).where(games.c.game_id.in_(ids[i : i + 500]), done)
            rows.update({r.game_id: dict(r._mapping) for r in conn.execute(query)})
    return rows


def _classify(store: Store, tasks: Sequence[GameTask]) -> tuple[dict[str, GameOutcome], list[GameTask]]:
    """Finished games (skipped), games the experiment no longer plans (failed), and the games to run."""
    stored, finished = _stored(store, tasks), _finished(store, tasks)
    outcomes: dict[str, GameOutcome] = {}
    todo = []
    for t in tasks:
        error = check_matches(t, stored[t.game_id]) if t.game_id in stored else None
        row = finished.get(t.game_id)
        if error is not None:
            outcomes[t.game_id] = GameOutcome(t.game_id, t.condition, "failed", error=error)
        elif row is not None:
            outcome = GameOutcome(t.game_id, t.condition, "skipped", row["winner"], row["days"])
            if any(is_model_spec(a) for a in t.agents):  # fallbacks happen only where a model plays
                outcome.account(replay(store.load_events(t.game_id)), t.max_fallback_rate)
            outcomes[t.game_id] = outcome
        else:
            todo.append(t)
    return outcomes, todo


def run_batch(
    experiment: Experiment | str | Path,
    *,
    db: str | None = None,
    backend: str = "process",
    workers: int | None = None,
    concurrency: int = 32,
    max_tokens: int | None = None,
    max_cost: float | None = None,
    models: Sequence[str] | None = None,
    ray_address: str | None = None,
    progress: bool = True,
    probe: bool = True,
    max_fallback_rate: float | None = None,
) -> BatchResult:
    """Run (or continue) an experiment; finished games are skipped, unfinished ones resumed. ``probe``
    first checks that every model answers (:func:`check_endpoints`), before anything is written."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: use {', '.join(BACKENDS)}")
    exp, tasks = prepare(experiment, models, max_cost, max_fallback_rate)
    if probe:
        check_endpoints(tasks)
    started = time.perf_counter()
    signals = Signals(shared=backend == "process")
    tally = Tally(len(tasks), max_tokens, max_cost, on_budget=lambda _reason: signals.drain())
    ensure_schema(resolve_url(db))  # every package's tables, before workers race to create them
    with Store(db) as store:
        outcomes, todo = _classify(store, tasks)
        tally.skip(sum(o.status == "skipped" for o in outcomes.values()))
        driver_writes = backend == "ray" and store.engine.dialect.name == "sqlite"
        if driver_writes:  # a cluster cannot share a SQLite file: tasks return events, the driver stores them
            todo = [dataclasses.replace(t, prior=_prior(store, t.game_id)) for t in todo]
        url = store.engine.url.render_as_string(hide_password=False)

        def store_events(message: tuple[Any, ...]) -> None:
            if message[0] == "game" and message[1].events:
                store.append([event_from_json(e) for e in message[1].events])
                message[1].events = []
            tally.message(message)

        interrupted = _install_sigint(signals)
        bar = ProgressBar(tally, exp.name) if progress else None
        try:
            if bar is not None:
                bar.__enter__()
            if not todo:
                done: list[GameOutcome] = []
            elif backend == "local":
                done = run_local(todo, url, concurrency, signals, tally.message)
            elif backend == "process":
                n = min(workers or os.cpu_count() or 1, len(todo))
                done = run_process(todo, url, concurrency, signals, tally.message, n)
            else:
                target = None if driver_writes else url
                done = run_ray(todo, target, concurrency, signals, store_events, ray_address)
        finally:
            if bar is not None:
                bar.__exit__()
            _restore_sigint(interrupted)
        outcomes.update((o.game_id, o) for o in done)
    ordered = [outcomes.get(t.game_id) or GameOutcome(t.game_id, t.condition, "not_started") for t in tasks]
    reason = tally.budget_reason or ("interrupted" if signals.halting() else None)
    return BatchResult(
        exp.name,
        ordered,
        time.perf_counter() - started,
        tally.tokens,
        tally.cost,
        reason,
        tally.backoffs,
        summary_rows(ordered),
    )


def _prior(store: Store, game_id: str) -> tuple[str, ...]:
    return tuple(event_to_json(e) for e in store.load_events(game_id))


def _install_sigint(signals: Signals) -> Any:
    """First Ctrl-C halts gracefully; a second one raises KeyboardInterrupt. Returns the old handler."""

    def handler(_signum: int, _frame: object) -> None:
        if signals.halting():
            raise KeyboardInterrupt
        signals.halt()

    try:
        return signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: leave Ctrl-C alone
        return None


def _restore_sigint(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGINT, previous)
