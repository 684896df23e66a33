"""``traitors batch EXPERIMENT.yaml``: the command (registered on the typer app in :mod:`traitors.cli`).

Bad input (and a model that does not answer the probe call) ends with one line on stderr and exit code 2,
before anything is written. Exit code 1 when games failed or a condition has degraded games (a fallback made
more than the experiment's ``max_fallback_rate`` of the model seats' decisions), 130 when interrupted, 0
otherwise (also when a budget stopped the batch: re-run to continue).
"""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from traitors.batch.driver import prepare, run_batch
from traitors.batch.executors import BACKENDS
from traitors.batch.progress import summary_table
from traitors.batch.spec import ExperimentError
from traitors.store import StoreError, open_engine

_err = Console(stderr=True, highlight=False)
_out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def _fail(message: str) -> NoReturn:
    _err.print(f"error: {escape(message)}", soft_wrap=True)
    raise typer.Exit(2)


def batch(
    experiment: Annotated[str, typer.Argument(help="experiment YAML (or a bundled name: paper_replication)")],
    backend: Annotated[str, typer.Option(help="process (default), local (one loop) or ray")] = "process",
    db: Annotated[
        str | None,
        typer.Option("--db", help="SQLAlchemy URL (default: $TRAITORS_DB or sqlite:///traitors.db)"),
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="processes (default: CPU count)")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="games and model calls in flight, in all")] = 32,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="start no game once this many tokens")] = None,
    max_cost: Annotated[float | None, typer.Option(min=0.0, help="start no game once this many USD")] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", help="replace the experiment's models (repeatable)")
    ] = None,
    ray_address: Annotated[
        str | None, typer.Option(help="Ray cluster to join (default: $RAY_ADDRESS, else a local Ray)")
    ] = None,
    progress: Annotated[bool, typer.Option(help="progress bar on stderr")] = True,
    max_fallback_rate: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="replace the experiment's max_fallback_rate (a game over it is degraded; default 0.10)",
        ),
    ] = None,
) -> None:
    """Run an experiment (scenarios × populations × games); re-running it skips finished games and resumes
    unfinished ones."""
    if backend not in BACKENDS:
        _fail(f"--backend: {backend!r} is not one of {', '.join(BACKENDS)}")
    try:
        prepare(experiment, model, max_cost, max_fallback_rate)
    except (ExperimentError, ValueError) as exc:
        _fail(str(exc))
    try:
        open_engine(db).dispose()
    except StoreError as exc:
        _fail(str(exc))
    try:
        result = run_batch(
            experiment,
            db=db,
            backend=backend,
            workers=workers,
            concurrency=concurrency,
            max_tokens=max_tokens,
            max_cost=max_cost,
            models=model,
            ray_address=ray_address,
            progress=progress,
            max_fallback_rate=max_fallback_rate,
        )
    except KeyboardInterrupt:
        _err.print("aborted: finished phases are stored; re-run the same command to continue")
        raise typer.Exit(130) from None
    except (StoreError, RuntimeError, ExperimentError) as exc:
        _fail(str(exc))
    _out.print(summary_table(result.outcomes, f"{result.experiment} ({result.wall_s:.1f} s)"))
    for o in result.outcomes:
        if o.status == "failed":
            _err.print(f"[red]failed[/] {o.game_id}: {escape(str(o.error))}", soft_wrap=True)
    if result.stopped:
        _err.print(f"stopped early: {result.stopped}; re-run the same command to continue")
    degraded = [r for r in result.rows if r["degraded"]]
    for r in degraded:
        _err.print(
            f"[red]degraded[/] {escape(r['condition'])}: {r['degraded']} game(s) over the fallback limit; "
            f"fallbacks made {r['fallbacks']} of {r['decisions']} model decisions",
            soft_wrap=True,
        )
    if result.count("failed") or degraded:
        raise typer.Exit(1)
    if result.stopped == "interrupted":
        raise typer.Exit(130)
