"""Paper figures with matplotlib (PNG and PDF, TrueType fonts in the PDF): win rate by model and role with
bootstrap CIs, Faithful trust over days, and the calibration of Faithful beliefs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib
import matplotlib.axes
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from metrics.aggregate import summarize
from metrics.beliefs import calibration

STYLE = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "figure.dpi": 150,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
COLORS = {"faithful": "#1f77b4", "traitor": "#d62728"}


def _figure(width: float, height: float) -> tuple[Figure, matplotlib.axes.Axes]:
    """A figure outside pyplot (no global state, no backend switch) and its axes."""
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _save(fig: Figure, stem: Path) -> list[Path]:
    paths = [stem.with_suffix(".png"), stem.with_suffix(".pdf")]
    for path in paths:
        fig.savefig(path, bbox_inches="tight")
    return paths


def win_rate_figure(
    frames: Mapping[str, pd.DataFrame], metrics: pd.DataFrame, n_boot: int = 1000, seed: int = 0
) -> Figure:
    """Bars of the win rate of each model × role (players' sides at the end) with bootstrap 95% CIs."""
    table = summarize(
        metrics[metrics["metric"] == "win"], frames, by=["model", "role"], n_boot=n_boot, seed=seed
    )
    models = sorted(table["model"].astype(str).unique())
    fig, ax = _figure(max(3.5, 1.2 * len(models) + 1.5), 2.8)
    width = 0.38
    for i, role in enumerate(("faithful", "traitor")):
        part = table[table["role"] == role].set_index(table.loc[table["role"] == role, "model"].astype(str))
        part = part.reindex(models)
        x = np.arange(len(models)) + (i - 0.5) * width
        err = np.vstack([part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]]).clip(min=0)
        ax.bar(x, part["mean"], width, yerr=np.nan_to_num(err), capsize=3, label=role, color=COLORS[role])
    ax.set_xticks(np.arange(len(models)), models, rotation=20 if len(models) > 3 else 0)
    ax.set_ylim(0, 1)
    ax.set_ylabel("win rate")
    ax.legend(frameon=False, fontsize=8)
    return fig


def trust_over_days(beliefs: pd.DataFrame) -> pd.DataFrame:
    """Mean Faithful trust (1 − P(traitor)) in Traitors and in Faithfuls per day: day, target_role, mean,
    ci_low, ci_high (normal 95% interval over games), games."""
    f = beliefs[(beliefs["observer_role"] == "faithful") & beliefs["target_role"].notna()]
    per_game = (
        f.assign(trust=1 - f["p_traitor"], target_role=f["target_role"].astype(object))
        .groupby(["day", "target_role", "game_id"], sort=True)["trust"]
        .mean()
    )
    stats = per_game.groupby(level=["day", "target_role"]).agg(["mean", "std", "size"]).reset_index()
    half = 1.96 * stats["std"].fillna(0) / np.sqrt(stats["size"])
    return pd.DataFrame(
        {
            "day": stats["day"],
            "target_role": stats["target_role"],
            "mean": stats["mean"],
            "ci_low": stats["mean"] - half,
            "ci_high": stats["mean"] + half,
            "games": stats["size"],
        }
    )


def trust_figure(beliefs: pd.DataFrame) -> Figure:
    """Faithful trust in Traitors vs in fellow Faithfuls over days."""
    table = trust_over_days(beliefs)
    fig, ax = _figure(3.5, 2.6)
    for role, part in table.groupby("target_role"):
        ax.plot(part["day"], part["mean"], marker="o", ms=3, color=COLORS.get(role), label=f"in {role}s")
        ax.fill_between(part["day"], part["ci_low"], part["ci_high"], color=COLORS.get(role), alpha=0.2)
    ax.set_xlabel("day")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Faithful trust (1 − P(traitor))")
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, fontsize=8)
    return fig


def calibration_figure(beliefs: pd.DataFrame, bins: int = 10) -> Figure:
    """Reliability diagram of Faithful beliefs (marker size ∝ reports in the bin)."""
    table = calibration(beliefs, bins)
    fig, ax = _figure(3.0, 3.0)
    ax.plot([0, 1], [0, 1], ls="--", lw=0.8, color="grey")
    if len(table):
        size = 10 + 60 * table["n"] / table["n"].max()
        ax.plot(table["mean_p"], table["observed"], color=COLORS["traitor"], lw=1)
        ax.scatter(table["mean_p"], table["observed"], s=size, color=COLORS["traitor"], zorder=3)
    ax.set_xlabel("reported P(traitor)")
    ax.set_ylabel("observed share of Traitors")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return fig


def write_figures(
    frames: Mapping[str, pd.DataFrame],
    metrics: pd.DataFrame,
    out_dir: Path,
    n_boot: int = 1000,
    seed: int = 0,
) -> list[Path]:
    """Write win_rate, trust_over_days and calibration as PNG and PDF into ``out_dir``."""
    paths: list[Path] = []
    with matplotlib.rc_context(STYLE):
        paths += _save(win_rate_figure(frames, metrics, n_boot, seed), out_dir / "win_rate")
        paths += _save(trust_figure(frames["beliefs"]), out_dir / "trust_over_days")
        paths += _save(calibration_figure(frames["beliefs"]), out_dir / "calibration")
    return paths
