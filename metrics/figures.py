"""Paper figures with matplotlib (PNG and PDF, TrueType fonts in the PDF), one panel per scenario, each
panel saying its n, every interval a seeded percentile bootstrap over games (metrics.aggregate):

- ``win_rate``: each side's win rate per game (Faithful + Traitor = 1 in every game) by the side's model,
  with the chance level of the scenario's rules (metrics.chance) as a reference line;
- ``accuracy``: FCR and IDR by population with their chance levels;
- ``trust_over_days``: Faithful observers' trust in Traitors and in fellow Faithfuls, by day among the
  games still running that day (n drawn under each day), and aligned on the game's last day;
- ``calibration``: reliability of Faithful beliefs (observed share of Traitors per bin of P(traitor)).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import matplotlib.axes
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from metrics.aggregate import bootstrap_ci, summarize

STYLE = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "figure.dpi": 150,
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
COLORS = {"faithful": "#1f77b4", "traitor": "#d62728", "FCR": "#1f77b4", "IDR": "#2ca02c"}
CHANCE_STYLE = {"ls": "--", "lw": 0.9, "color": "black", "alpha": 0.7}


def _panels(count: int, width: float, height: float, columns: int = 3) -> tuple[Figure, list]:
    """A figure outside pyplot (no global state, no backend switch) with ``count`` panels (at least one)."""
    count = max(count, 1)
    cols = min(count, columns)
    rows = -(-count // cols)
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[count:]:
        ax.set_visible(False)
    return fig, axes[:count]


def _save(fig: Figure, stem: Path) -> list[Path]:
    paths = [stem.with_suffix(".png"), stem.with_suffix(".pdf")]
    for path in paths:
        fig.savefig(path, bbox_inches="tight")
    return paths


def _ci(values: np.ndarray, n_boot: int, seed: int, key: object) -> tuple[float, float]:
    rng = np.random.default_rng([seed, zlib.crc32(repr(key).encode())])
    return bootstrap_ci(np.asarray(values, dtype=float), n_boot, rng)


def _scenarios(frames: Mapping[str, pd.DataFrame]) -> list[str]:
    return sorted(frames["games"]["scenario"].dropna().astype(str).unique())


def win_rate_figure(
    frames: Mapping[str, pd.DataFrame], metrics: pd.DataFrame, n_boot: int = 1000, seed: int = 0
) -> Figure:
    """Per scenario: bars of the Faithful and the Traitor win rate per game (faithful_win, traitor_win,
    by the model of the side) with bootstrap 95% CIs, n games on each bar, and the chance level of the
    scenario's rules as dashed lines."""
    table = summarize(
        metrics[metrics["metric"].isin(["faithful_win", "traitor_win"])],
        frames,
        by=["model", "role"],
        n_boot=n_boot,
        seed=seed,
    )
    scenarios = sorted(table["scenario"].astype(str).unique()) or _scenarios(frames)
    fig, axes = _panels(len(scenarios), 3.4, 2.6)
    width = 0.38
    for ax, scenario in zip(axes, scenarios, strict=False):
        part = table[table["scenario"] == scenario]
        models = sorted(part["model"].astype(str).unique())
        games = int(part["games"].max()) if len(part) else 0
        for i, (role, metric) in enumerate((("faithful", "faithful_win"), ("traitor", "traitor_win"))):
            rows = part[part["metric"] == metric].set_index(
                part.loc[part["metric"] == metric, "model"].astype(str)
            )
            rows = rows.reindex(models)
            x = np.arange(len(models)) + (i - 0.5) * width
            err = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]]).clip(min=0)
            ax.bar(x, rows["mean"], width, yerr=np.nan_to_num(err), capsize=3, label=role, color=COLORS[role])
            for xi, (mean, n) in enumerate(zip(rows["mean"], rows["games"], strict=True)):
                if np.isfinite(mean):
                    ax.text(x[xi], 0.02, f"{int(n)}", ha="center", va="bottom", fontsize=6, color="white")
            chance = rows["chance"].dropna()
            if len(chance):
                ax.axhline(
                    float(chance.mean()), color=COLORS[role], **{**CHANCE_STYLE, "color": COLORS[role]}
                )
        ax.set_xticks(np.arange(len(models)), models, rotation=20 if len(models) > 3 else 0)
        ax.set_ylim(0, 1)
        ax.set_ylabel("win rate (per game)")
        ax.set_title(f"{scenario} (n = {games} games; dashed: chance)", fontsize=8)
    axes[0].legend(frameon=False, fontsize=7)
    return fig


def accuracy_figure(
    frames: Mapping[str, pd.DataFrame], metrics: pd.DataFrame, n_boot: int = 1000, seed: int = 0
) -> Figure:
    """Per scenario: FCR and IDR by population with bootstrap 95% CIs over games, n games on each bar and
    each bar's chance level (uniformly random voters and top suspects on the same round tables) as a
    dashed segment."""
    table = summarize(
        metrics[metrics["metric"].isin(["FCR", "IDR"])], frames, by=["population"], n_boot=n_boot, seed=seed
    )
    scenarios = sorted(table["scenario"].astype(str).unique()) or _scenarios(frames)
    fig, axes = _panels(len(scenarios), 3.4, 2.6)
    width = 0.38
    for ax, scenario in zip(axes, scenarios, strict=False):
        part = table[table["scenario"] == scenario]
        pops = sorted(part["population"].astype(str).unique())
        for i, metric in enumerate(("FCR", "IDR")):
            rows = part[part["metric"] == metric].set_index(
                part.loc[part["metric"] == metric, "population"].astype(str)
            )
            rows = rows.reindex(pops)
            x = np.arange(len(pops)) + (i - 0.5) * width
            err = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]]).clip(min=0)
            ax.bar(
                x, rows["mean"], width, yerr=np.nan_to_num(err), capsize=3, label=metric, color=COLORS[metric]
            )
            for xi, (chance, n) in enumerate(zip(rows["chance"], rows["games"], strict=True)):
                if np.isfinite(chance):
                    ax.hlines(chance, x[xi] - width / 2, x[xi] + width / 2, **CHANCE_STYLE)
                if np.isfinite(n):
                    ax.text(x[xi], 0.02, f"{int(n)}", ha="center", va="bottom", fontsize=6, color="white")
        ax.set_xticks(np.arange(len(pops)), pops, rotation=20 if len(pops) > 3 else 0)
        ax.set_ylim(0, 1)
        ax.set_ylabel("share on a Traitor")
        ax.set_title(f"{scenario} (bars: n games; dashed: chance)", fontsize=8)
    axes[0].legend(frameon=False, fontsize=7)
    return fig


def _faithful_trust(beliefs: pd.DataFrame) -> pd.DataFrame:
    """Per (game, day, target side): the Faithful observers' mean trust (1 − P(traitor))."""
    f = beliefs[(beliefs["observer_role"] == "faithful") & beliefs["target_role"].notna()]
    return (
        f.assign(
            trust=1 - f["p_traitor"].to_numpy(dtype=float),
            target_role=f["target_role"].astype(object),
            game_id=f["game_id"].astype(object),
        )
        .groupby(["game_id", "day", "target_role"], sort=True)["trust"]
        .mean()
        .reset_index()
    )


def trust_over_days(
    beliefs: pd.DataFrame,
    games: pd.DataFrame | None = None,
    align: str = "start",
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Faithful observers' mean trust in Traitors and in Faithfuls per day: scenario, x (the day, or with
    ``align="end"`` the days before the game's last day with beliefs: 0 = its last day), target_role,
    mean, ci_low, ci_high (percentile bootstrap over the games with reports that day) and games (their
    number: with ``align="start"`` the games still running that day)."""
    cols = ["scenario", "x", "target_role", "mean", "ci_low", "ci_high", "games"]
    per_game = _faithful_trust(beliefs)
    if per_game.empty:
        return pd.DataFrame(columns=cols)
    scenario = (
        games.set_index(games["game_id"].astype(object))["scenario"].astype(object)
        if games is not None
        else pd.Series(dtype=object)
    )
    per_game["scenario"] = per_game["game_id"].map(scenario).fillna("all")
    if align == "end":
        last = per_game.groupby("game_id")["day"].transform("max")
        per_game["x"] = last - per_game["day"]
    elif align == "start":
        per_game["x"] = per_game["day"]
    else:
        raise ValueError(f"align: {align!r}, choose start or end")
    rows = []
    for key, part in per_game.groupby(["scenario", "x", "target_role"], sort=True):
        values = part["trust"].to_numpy(dtype=float)
        low, high = _ci(values, n_boot, seed, (align, *key))
        rows.append((*key, values.mean(), low, high, len(values)))
    return pd.DataFrame(rows, columns=cols)


def trust_figure(
    beliefs: pd.DataFrame, games: pd.DataFrame | None = None, n_boot: int = 1000, seed: int = 0
) -> Figure:
    """Per scenario, two panels: Faithful trust in Traitors vs in fellow Faithfuls by day (only the games
    running that day; their number under each day), and aligned on each game's last day."""
    start = trust_over_days(beliefs, games, "start", n_boot, seed)
    end = trust_over_days(beliefs, games, "end", n_boot, seed)
    scenarios = sorted(start["scenario"].astype(str).unique()) or ["all"]
    fig, axes = _panels(2 * len(scenarios), 3.2, 2.6, columns=2)
    for i, scenario in enumerate(scenarios):
        for ax, table, align in ((axes[2 * i], start, "start"), (axes[2 * i + 1], end, "end")):
            part = table[table["scenario"] == scenario]
            for role, line in part.groupby("target_role"):
                color = COLORS.get(str(role))
                ax.plot(line["x"], line["mean"], marker="o", ms=2.5, color=color, label=f"in {role}s")
                ax.fill_between(line["x"], line["ci_low"], line["ci_high"], color=color, alpha=0.2)
            counts = part.groupby("x")["games"].max()
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if len(counts):
                ticks = counts.index.to_numpy()
                step = max(1, len(ticks) // 8)
                ax.set_xticks(ticks[::step], [f"{x}\n{n}" for x, n in counts.iloc[::step].items()])
            if align == "start":
                ax.set_xlabel("day\nn games running that day")
                ax.set_title(f"{scenario}: by day", fontsize=8)
            else:
                ax.set_xlabel("days before the game's last day\nn games")
                ax.invert_xaxis()
                ax.set_title(f"{scenario}: aligned on the end", fontsize=8)
            ax.set_ylabel("Faithful trust (1 − P(traitor))")
            ax.set_ylim(0, 1)
    axes[0].legend(frameon=False, fontsize=7)
    return fig


def calibration_table(
    beliefs: pd.DataFrame,
    games: pd.DataFrame | None = None,
    bins: int = 10,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Reliability of Faithful beliefs per scenario and bin of P(traitor): scenario, bin_low, bin_high,
    mean_p, observed (share of Traitors), ci_low, ci_high (bootstrap over games, each game's reports in
    the bin resampled together), reports and games."""
    cols = ["scenario", "bin_low", "bin_high", "mean_p", "observed", "ci_low", "ci_high", "reports", "games"]
    f = beliefs[(beliefs["observer_role"] == "faithful") & beliefs["target_role"].notna()]
    if f.empty:
        return pd.DataFrame(columns=cols)
    p = f["p_traitor"].to_numpy(dtype=float)
    gid = f["game_id"].astype(object).to_numpy()
    scenario = (
        games.set_index(games["game_id"].astype(object))["scenario"].astype(object).reindex(gid).to_numpy()
        if games is not None
        else np.full(len(f), "all", dtype=object)
    )
    data = pd.DataFrame(
        {
            "scenario": pd.Series(scenario, dtype=object).fillna("all").to_numpy(),
            "bin": np.minimum((p * bins).astype(int), bins - 1),
            "p": p,
            "y": (f["target_role"] == "traitor").to_numpy(dtype=float),
            "game": gid,
        }
    )
    rows = []
    rng_seed = seed
    for (sc, b), part in data.groupby(["scenario", "bin"], sort=True):
        clusters = pd.factorize(part["game"])[0]
        rng = np.random.default_rng([rng_seed, zlib.crc32(repr((sc, b)).encode())])
        low, high = bootstrap_ci(part["y"].to_numpy(), n_boot, rng, clusters=clusters)
        rows.append(
            (
                sc,
                b / bins,
                (b + 1) / bins,
                part["p"].mean(),
                part["y"].mean(),
                low,
                high,
                len(part),
                clusters.max() + 1,
            )
        )
    return pd.DataFrame(rows, columns=cols)


def calibration_figure(
    beliefs: pd.DataFrame,
    games: pd.DataFrame | None = None,
    bins: int = 10,
    n_boot: int = 1000,
    seed: int = 0,
) -> Figure:
    """Per scenario: reliability diagram of Faithful beliefs with bootstrap 95% CIs (marker size ∝
    reports in the bin; n reports and games in the title)."""
    table = calibration_table(beliefs, games, bins, n_boot, seed)
    scenarios = sorted(table["scenario"].astype(str).unique()) or ["all"]
    fig, axes = _panels(len(scenarios), 2.8, 2.8)
    for ax, scenario in zip(axes, scenarios, strict=False):
        part = table[table["scenario"] == scenario]
        ax.plot([0, 1], [0, 1], **CHANCE_STYLE)
        if len(part):
            size = 8 + 50 * part["reports"] / part["reports"].max()
            err = np.vstack([part["observed"] - part["ci_low"], part["ci_high"] - part["observed"]]).clip(
                min=0
            )
            ax.errorbar(part["mean_p"], part["observed"], yerr=err, color=COLORS["traitor"], lw=1, capsize=2)
            ax.scatter(part["mean_p"], part["observed"], s=size, color=COLORS["traitor"], zorder=3)
        reports = int(part["reports"].sum()) if len(part) else 0
        n_games = _games_with_reports(beliefs, games, scenario)
        ax.set_title(f"{scenario} (n = {reports} reports, {n_games} games)", fontsize=8)
        ax.set_xlabel("reported P(traitor)")
        ax.set_ylabel("observed share of Traitors")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    return fig


def _games_with_reports(beliefs: pd.DataFrame, games: pd.DataFrame | None, scenario: str) -> int:
    f = beliefs[beliefs["observer_role"] == "faithful"]
    ids = pd.unique(f["game_id"].astype(object))
    if games is None:
        return len(ids)
    of = games.set_index(games["game_id"].astype(object))["scenario"].astype(object)
    return int((of.reindex(ids) == scenario).sum())


def write_figures(
    frames: Mapping[str, pd.DataFrame],
    metrics: pd.DataFrame,
    out_dir: Path,
    n_boot: int = 1000,
    seed: int = 0,
    names: Sequence[str] = ("win_rate", "accuracy", "trust_over_days", "calibration"),
) -> list[Path]:
    """Write the figures ``names`` (default all four) as PNG and PDF into ``out_dir``."""
    paths: list[Path] = []
    games = frames["games"]
    draw = {
        "win_rate": lambda: win_rate_figure(frames, metrics, n_boot, seed),
        "accuracy": lambda: accuracy_figure(frames, metrics, n_boot, seed),
        "trust_over_days": lambda: trust_figure(frames["beliefs"], games, n_boot, seed),
        "calibration": lambda: calibration_figure(frames["beliefs"], games, n_boot=n_boot, seed=seed),
    }
    with matplotlib.rc_context(STYLE):
        for name in names:
            paths += _save(draw[name](), out_dir / name)
    return paths
