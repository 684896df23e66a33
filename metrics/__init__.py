"""Metrics: events in SQL → tidy frames → per-game metrics → aggregates with bootstrap CIs → exports.

Python API::

    from metrics import load_frames, compute_metrics, summarize
    frames = load_frames("sqlite:///traitors.db", {"scenario": "paper"})   # dict of DataFrames (§4)
    long = compute_metrics(frames)              # game_id, metric, value, n, player
    table = summarize(long, frames, by=["model", "role"])   # per scenario: n, games, mean, CI, units, chance

For the CLI (``traitors metrics`` and ``traitors export``):

- :func:`metrics_table` (db_url, by, game_ids, fallbacks) → the summary DataFrame to print;
- :func:`export_all` (db_url, out_dir, formats, figures, fallbacks) → the list of written files.

Metrics count only the seats' own decisions by default: ``decided_by == "fallback"`` rows are left out and
degraded games stay out of the outcomes; ``fallbacks=True`` counts them (metrics.provenance).

Vote metrics are per round table (``rounds``), belief metrics use Faithful observers, and chance levels
(metrics.chance) come with FCR, IDR and the win rates. Definitions: DESIGN.md §5 and docs/metrics.md.
This package reads the store only; it never imports the engine loop, the CLI or the agents.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from metrics.aggregate import annotate, bootstrap_ci, paired_compare, summarize
from metrics.beliefs import calibration
from metrics.chance import Rules, faithful_win_probability
from metrics.compute import METRICS, MetricInfo, compute_metrics
from metrics.elo import elo_ratings
from metrics.export import FORMATS, degraded_note, export, latex_escape, read_table, summary_latex
from metrics.frames import Filters, load_frames
from metrics.network import by_round as network_by_round
from metrics.network import trust_graph
from metrics.provenance import is_model_spec, without_fallbacks
from metrics.schema import SCHEMA, TABLES, Frames, empty_frames

__all__ = [
    "FORMATS",
    "METRICS",
    "SCHEMA",
    "TABLES",
    "Filters",
    "Frames",
    "MetricInfo",
    "Rules",
    "annotate",
    "bootstrap_ci",
    "calibration",
    "compute_metrics",
    "degraded_note",
    "elo_ratings",
    "empty_frames",
    "export",
    "export_all",
    "faithful_win_probability",
    "is_model_spec",
    "latex_escape",
    "load_frames",
    "metrics_table",
    "network_by_round",
    "paired_compare",
    "read_table",
    "summarize",
    "summary_latex",
    "trust_graph",
    "without_fallbacks",
]


def metrics_table(
    db_url: str | None,
    by: Sequence[str] | None = None,
    game_ids: Sequence[str] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    fallbacks: bool = False,
) -> pd.DataFrame:
    """Summary of every metric over the games of ``db_url`` (None = ``TRAITORS_DB`` or the default),
    optionally only ``game_ids``, grouped by ``by`` (e.g. ["model", "role"]; None or [] = overall):
    columns ``*by, metric, n, mean, ci_low, ci_high, units``. For one game, mean is its value.
    ``fallbacks`` counts the fallbacks' decisions and degraded games' outcomes (:func:`compute_metrics`);
    ``attrs["degraded_left_out"]`` lists the degraded games left out otherwise."""
    frames = load_frames(db_url, Filters(game_ids=list(game_ids) if game_ids else None))
    long = compute_metrics(frames, fallbacks=fallbacks)
    return summarize(long, frames, by=list(by or []), n_boot=n_boot, seed=seed)


def export_all(
    db_url: str | None,
    out_dir: str | Path,
    formats: Sequence[str] = FORMATS,
    figures: bool = True,
    by: Sequence[str] = ("model", "role"),
    game_ids: Sequence[str] | None = None,
    fallbacks: bool = False,
) -> list[Path]:
    """Load, compute and write everything (see :func:`export`) for the games of ``db_url``, counting the
    fallbacks' decisions and degraded games' outcomes only with ``fallbacks``; returns the written paths."""
    frames = load_frames(db_url, Filters(game_ids=list(game_ids) if game_ids else None))
    long = compute_metrics(frames, fallbacks=fallbacks)
    return export(frames, long, out_dir, formats=formats, figures=figures, by=by, fallbacks=fallbacks)
