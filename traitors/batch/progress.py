"""Progress of a batch: running totals with token and cost caps, a rich progress bar on stderr, and the
summary table printed at the end. (rich prints a single final line when stderr is not a terminal.)"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from traitors.batch.worker import GameOutcome

DONE = ("finished", "skipped")


class Tally:
    """Thread-safe running totals; calls ``on_budget`` once when the token or cost cap is reached."""

    def __init__(
        self,
        total: int,
        max_tokens: int | None = None,
        max_cost: float | None = None,
        on_budget: Callable[[str], None] | None = None,
    ) -> None:
        self.total, self.max_tokens, self.max_cost, self.on_budget = total, max_tokens, max_cost, on_budget
        self.done = self.failed = self.tokens = self.backoffs = 0
        self.cost = 0.0
        self.budget_reason: str | None = None
        self._lock = threading.Lock()
        self.listeners: list[Callable[[], None]] = []

    def message(self, message: tuple[Any, ...]) -> None:
        """Apply one worker message: ``("usage", tokens, cost)`` or ``("game", GameOutcome)``."""
        with self._lock:
            if message[0] == "usage":
                self.tokens += message[1]
                self.cost += message[2]
                self._check_budget()
            elif message[0] == "backoff":
                self.backoffs += 1
            elif message[0] == "game":
                outcome: GameOutcome = message[1]
                self.done += outcome.status in DONE
                self.failed += outcome.status == "failed"
        for listener in self.listeners:
            listener()

    def skip(self, n: int) -> None:
        """Count games found finished before the batch started."""
        with self._lock:
            self.done += n

    def _check_budget(self) -> None:
        if self.budget_reason is not None:
            return
        if self.max_tokens is not None and self.tokens >= self.max_tokens:
            self.budget_reason = f"token budget reached ({self.tokens:,} ≥ {self.max_tokens:,})"
        elif self.max_cost is not None and math.isnan(self.cost):  # a price the batch did not know
            self.budget_reason = "cost unknown (a model call had no known price): stopped to stay in budget"
        elif self.max_cost is not None and self.cost >= self.max_cost:
            self.budget_reason = f"cost budget reached (${self.cost:.4f} ≥ ${self.max_cost:.4f})"
        if self.budget_reason is not None and self.on_budget is not None:
            self.on_budget(self.budget_reason)


class ProgressBar:
    """A rich progress bar on stderr fed by a :class:`Tally`: games done, ETA, tokens, cost, failures."""

    def __init__(self, tally: Tally, title: str, console: Console | None = None) -> None:
        self.tally = tally
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[usage]}"),
            console=console or Console(stderr=True),
            transient=False,
            auto_refresh=False,  # no refresh thread: worker processes may be forked after the bar starts
        )
        self._drawn = 0.0
        self.task = self.progress.add_task(
            title, total=tally.total, completed=tally.done, usage=self._usage()
        )
        tally.listeners.append(self.refresh)

    def _usage(self) -> str:
        t = self.tally
        failed = f" [red]{t.failed} failed[/]" if t.failed else ""
        backoffs = f" [yellow]{t.backoffs} backoffs[/]" if t.backoffs else ""
        return f"{t.tokens:,} tokens {usd(t.cost)}{failed}{backoffs}"

    def refresh(self, force: bool = False) -> None:
        """Redraw from the tally (at most ten times a second unless ``force``)."""
        self.progress.update(self.task, completed=self.tally.done, usage=self._usage())
        now = time.monotonic()
        if force or now - self._drawn >= 0.1:
            self._drawn = now
            self.progress.refresh()

    def __enter__(self) -> ProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.refresh(force=True)
        self.progress.stop()


def summary_rows(outcomes: Sequence[GameOutcome]) -> list[dict[str, Any]]:
    """One row per condition: games by status, wins by side, mean days, tokens and cost (NaN: unknown, when
    a call's price is unknown), and the model seats' decisions, how many a fallback made, and how many games
    ended degraded."""
    groups: dict[str, list[GameOutcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.condition].append(o)
    rows = []
    for condition, group in groups.items():
        done = [o for o in group if o.status in DONE]
        rows.append(
            {
                "condition": condition,
                "games": len(group),
                "done": len(done),
                "faithful_wins": sum(o.winner == "faithful" for o in done),
                "traitor_wins": sum(o.winner == "traitors" for o in done),
                "mean_days": sum(o.days for o in done) / len(done) if done else 0.0,
                "stopped": sum(o.status in ("stopped", "not_started") for o in group),
                "failed": sum(o.status == "failed" for o in group),
                "tokens": sum(o.tokens for o in group),
                "cost": sum(o.cost for o in group),  # NaN (unknown) if any game's cost is NaN
                "decisions": sum(o.decisions for o in done),
                "fallbacks": sum(o.fallbacks for o in done),
                "degraded": sum(o.degraded for o in done),
            }
        )
    return rows


def summary_table(outcomes: Sequence[GameOutcome], title: str = "Batch summary") -> Table:
    """The end-of-batch table (rich)."""
    table = Table(title=title)
    for col in ("condition", "games", "done", "faithful wins", "traitor wins", "mean days", "stopped"):
        table.add_column(col, justify="left" if col == "condition" else "right")
    for col in ("failed", "fallbacks", "degraded", "tokens", "cost $"):
        table.add_column(col, justify="right")
    for r in summary_rows(outcomes):
        table.add_row(
            r["condition"],
            str(r["games"]),
            str(r["done"]),
            str(r["faithful_wins"]),
            str(r["traitor_wins"]),
            f"{r['mean_days']:.2f}",
            str(r["stopped"]),
            f"[red]{r['failed']}[/]" if r["failed"] else "0",
            fallback_cell(r["fallbacks"], r["decisions"]),
            f"[red]{r['degraded']}[/]" if r["degraded"] else "0",
            f"{r['tokens']:,}",
            "unknown" if math.isnan(r["cost"]) else f"{r['cost']:.4f}",
        )
    return table


def fallback_cell(fallbacks: int, decisions: int) -> str:
    """``3/120 (2.5%)``, or ``–`` without decisions to count."""
    return f"{fallbacks}/{decisions} ({fallbacks / decisions:.1%})" if decisions else "–"


def usd(cost: float) -> str:
    """``$0.0123``, or ``cost unknown`` for NaN (a call whose model has no known price)."""
    return "cost unknown" if math.isnan(cost) else f"${cost:.4f}"
