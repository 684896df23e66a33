"""Paper figures with matplotlib (PNG and PDF, TrueType fonts in the PDF), one panel per scenario, each
panel saying its n, every interval a seeded percentile bootstrap over games (metrics.aggregate):

- ``win_rate``: each side's win rate per game (Faithful + Traitor = 1 in every game) by the side's model,
  with the chance level of the scenario's rules (metrics.chance) as a reference line;
- ``accuracy``: FCR and IDR by population with their chance levels;
- ``trust_over_days``: Faithful observers' trust in Traitors and in fellow Faithfuls, per scenario and
  population, by day among the games still running that day (their number drawn as bars), and aligned on
  the game's last day;
- ``calibration``: reliability of Faithful beliefs (observed share of Traitors per bin of P(traitor)), per
  scenario and population.
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

from metrics.aggregate import bootstrap_ci, side_models, summarize
from metrics.compute import CHANCE

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


def _with_chance(metrics: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """The rows of ``names`` and of the metrics holding their chance levels (for the summary's chance)."""
    wanted = set(names) | {CHANCE[n][0] for n in names if n in CHANCE}
    return metrics[metrics["metric"].isin(sorted(wanted))]


def game_groups(frames: Mapping[str, pd.DataFrame]) -> pd.Series:
    """Per game id: its panel label, ``scenario · population`` (population: the game's models)."""
    games = frames["games"]
    ids = games["game_id"].astype(object).to_numpy()
    if len(frames["players"]):
        pop = side_models(frames["players"])["population"].reindex(ids).fillna("?").astype(str).to_numpy()
    else:
        pop = np.full(len(ids), "?", dtype=object)
    return pd.Series(games["scenario"].astype(str).to_numpy() + " · " + pop, index=ids)


def win_rate_figure(
    frames: Mapping[str, pd.DataFrame], metrics: pd.DataFrame, n_boot: int = 1000, seed: int = 0
) -> Figure:
    """Per scenario: bars of the Faithful and the Traitor win rate per game (faithful_win, traitor_win,
    by the model of the side) with bootstrap 95% CIs, n games on each bar, and the chance level of the
    scenario's rules (uniformly random play) as a dashed segment on each bar."""
    table = summarize(
        _with_chance(metrics, ["faithful_win", "traitor_win"]),
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
            _bars(ax, rows, np.arange(len(models)) + (i - 0.5) * width, width, role)
        ax.set_xticks(np.arange(len(models)), models, rotation=20 if len(models) > 3 else 0)
        ax.set_xlim(-0.6, len(models) - 0.4)
        ax.set_ylim(0, 1)
        ax.set_ylabel("win rate (per game)")
        ax.set_title(f"{scenario} (n = {games} games; dashed: chance)", fontsize=8)
    axes[0].legend(frameon=False, fontsize=7)
    return fig


def _bars(ax: matplotlib.axes.Axes, rows: pd.DataFrame, x: np.ndarray, width: float, label: str) -> None:
    """One series of summary rows as bars at ``x`` with their 95% CIs, each bar's n games written on it and
    its chance level (``rows["chance"]``) as a dashed segment."""
    err = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]]).clip(min=0)
    ax.bar(x, rows["mean"], width, yerr=np.nan_to_num(err), capsize=3, label=label, color=COLORS[label])
    for xi, (mean, n, chance) in enumerate(zip(rows["mean"], rows["games"], rows["chance"], strict=True)):
        if np.isfinite(mean) and np.isfinite(n):
            ax.text(x[xi], 0.02, f"{int(n)}", ha="center", va="bottom", fontsize=6, color="white")
        if np.isfinite(chance):
            ax.hlines(chance, x[xi] - width / 2, x[xi] + width / 2, **CHANCE_STYLE)


def accuracy_figure(
    frames: Mapping[str, pd.DataFrame], metrics: pd.DataFrame, n_boot: int = 1000, seed: int = 0
) -> Figure:
    """Per scenario: FCR and IDR by population with bootstrap 95% CIs over games, n games on each bar and
    each bar's chance level (uniformly random voters and top suspects on the same round tables) as a
    dashed segment."""
    table = summarize(
        _with_chance(metrics, ["FCR", "IDR"]), frames, by=["population"], n_boot=n_boot, seed=seed
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
            _bars(ax, rows, np.arange(len(pops)) + (i - 0.5) * width, width, metric)
        ax.set_xticks(np.arange(len(pops)), pops, rotation=20 if len(pops) > 3 else 0)
        ax.set_xlim(-0.6, len(pops) - 0.4)
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
    groups: pd.Series | None = None,
    align: str = "start",
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Faithful observers' mean trust in Traitors and in Faithfuls per day: group (the label of the games,
    ``groups`` by game id, e.g. :func:`game_groups`; "all" without), x (the day, or with ``align="end"``
    the days before the game's last day with beliefs: 0 = its last day), target_role, mean, ci_low, ci_high
    (percentile bootstrap over the games with reports that day) and games (their number: with
    ``align="start"`` the games still running that day)."""
    cols = ["group", "x", "target_role", "mean", "ci_low", "ci_high", "games"]
    per_game = _faithful_trust(beliefs)
    if per_game.empty:
        return pd.DataFrame(columns=cols)
    per_game["group"] = per_game["game_id"].map(groups).fillna("all") if groups is not None else "all"
    if align == "end":
        last = per_game.groupby("game_id")["day"].transform("max")
        per_game["x"] = last - per_game["day"]
    elif align == "start":
        per_game["x"] = per_game["day"]
    else:
        raise ValueError(f"align: {align!r}, choose start or end")
    rows = []
    for key, part in per_game.groupby(["group", "x", "target_role"], sort=True):
        values = part["trust"].to_numpy(dtype=float)
        low, high = _ci(values, n_boot, seed, (align, *key))
        rows.append((*key, values.mean(), low, high, len(values)))
    return pd.DataFrame(rows, columns=cols)


def trust_figure(
    beliefs: pd.DataFrame, groups: pd.Series | None = None, n_boot: int = 1000, seed: int = 0
) -> Figure:
    """Per scenario and population, two panels: Faithful trust in Traitors vs in fellow Faithfuls by day
    (only the games running that day, whose number the grey bars give on the right axis), and aligned on
    each game's last day (likewise)."""
    start = trust_over_days(beliefs, groups, "start", n_boot, seed)
    end = trust_over_days(beliefs, groups, "end", n_boot, seed)
    labels = sorted(start["group"].astype(str).unique()) or ["all"]
    fig, axes = _panels(2 * len(labels), 3.2, 2.4, columns=2)
    for i, label in enumerate(labels):
        for ax, table, align in ((axes[2 * i], start, "start"), (axes[2 * i + 1], end, "end")):
            part = table[table["group"] == label]
            counts = part.groupby("x")["games"].max()
            n = int(counts.max()) if len(counts) else 0
            bars = ax.twinx()
            bars.bar(counts.index, counts.to_numpy(), width=0.8, color="grey", alpha=0.15)
            bars.set_ylim(0, max(n, 1) * 3)
            bars.set_ylabel("games", color="grey", fontsize=6)
            bars.tick_params(axis="y", colors="grey", labelsize=6)
            bars.spines["right"].set_visible(True)
            ax.set_zorder(bars.get_zorder() + 1)
            ax.patch.set_visible(False)
            for role, line in part.groupby("target_role"):
                color = COLORS.get(str(role))
                ax.plot(line["x"], line["mean"], marker="o", ms=2.5, color=color, label=f"in {role}s")
                ax.fill_between(line["x"], line["ci_low"], line["ci_high"], color=color, alpha=0.2)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if align == "start":
                ax.set_xlabel("day (bars: games running that day)")
                ax.set_title(f"{label}: by day (n = {n} games)", fontsize=7)
            else:
                ax.set_xlabel("days before the game's last day")
                ax.invert_xaxis()
                ax.set_title(f"{label}: aligned on the end (n = {n} games)", fontsize=7)
            ax.set_ylabel("Faithful trust (1 − P(traitor))")
            ax.set_ylim(0, 1)
    axes[0].legend(frameon=False, fontsize=7, loc="lower left")
    return fig


def calibration_table(
    beliefs: pd.DataFrame, groups: pd.Series | None = None, bins: int = 10, n_boot: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """Reliability of Faithful beliefs per group (``groups`` by game id, :func:`game_groups`; "all"
    without) and bin of P(traitor): group, bin_low, bin_high, mean_p, observed (share of Traitors), ci_low,
    ci_high (bootstrap over games, each game's reports in the bin resampled together), reports and games."""
    cols = ["group", "bin_low", "bin_high", "mean_p", "observed", "ci_low", "ci_high", "reports", "games"]
    f = beliefs[(beliefs["observer_role"] == "faithful") & beliefs["target_role"].notna()]
    if f.empty:
        return pd.DataFrame(columns=cols)
    p = f["p_traitor"].to_numpy(dtype=float)
    gid = f["game_id"].astype(object).to_numpy()
    label = (
        groups.reindex(gid).to_numpy(dtype=object) if groups is not None else np.full(len(f), "all", object)
    )
    data = pd.DataFrame(
        {
            "group": pd.Series(label, dtype=object).fillna("all").to_numpy(),
            "bin": np.minimum((p * bins).astype(int), bins - 1),
            "p": p,
            "y": (f["target_role"] == "traitor").to_numpy(dtype=float),
            "game": gid,
        }
    )
    rows = []
    for (group, b), part in data.groupby(["group", "bin"], sort=True):
        clusters = pd.factorize(part["game"])[0]
        rng = np.random.default_rng([seed, zlib.crc32(repr((group, b)).encode())])
        low, high = bootstrap_ci(part["y"].to_numpy(), n_boot, rng, clusters=clusters)
        mean_p, observed = part["p"].mean(), part["y"].mean()
        rows.append(
            (group, b / bins, (b + 1) / bins, mean_p, observed, low, high, len(part), clusters.max() + 1)
        )
    return pd.DataFrame(rows, columns=cols)


def calibration_figure(
    beliefs: pd.DataFrame, groups: pd.Series | None = None, bins: int = 10, n_boot: int = 1000, seed: int = 0
) -> Figure:
    """Per scenario and population: reliability diagram of Faithful beliefs with bootstrap 95% CIs (marker
    size ∝ reports in the bin; n reports and games in the title; dashed: perfect calibration)."""
    table = calibration_table(beliefs, groups, bins, n_boot, seed)
    labels = sorted(table["group"].astype(str).unique()) or ["all"]
    fig, axes = _panels(len(labels), 2.8, 2.8)
    f = beliefs[beliefs["observer_role"] == "faithful"]
    ids = pd.Series(pd.unique(f["game_id"].astype(object)))
    per_label = ids.map(groups).fillna("all").value_counts() if groups is not None else {"all": len(ids)}
    for ax, label in zip(axes, labels, strict=False):
        part = table[table["group"] == label]
        ax.plot([0, 1], [0, 1], **CHANCE_STYLE)
        if len(part):
            size = 8 + 50 * part["reports"] / part["reports"].max()
            err = np.vstack([part["observed"] - part["ci_low"], part["ci_high"] - part["observed"]]).clip(
                min=0
            )
            ax.errorbar(part["mean_p"], part["observed"], yerr=err, color=COLORS["traitor"], lw=1, capsize=2)
            ax.scatter(part["mean_p"], part["observed"], s=size, color=COLORS["traitor"], zorder=3)
        reports = int(part["reports"].sum()) if len(part) else 0
        ax.set_title(f"{label} (n = {reports:,} reports, {int(per_label.get(label, 0))} games)", fontsize=7)
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
    names: Sequence[str] = ("win_rate", "accuracy", "trust_over_days", "calibration"),
) -> list[Path]:
    """Write the figures ``names`` (default all four) as PNG and PDF into ``out_dir``."""
    paths: list[Path] = []
    groups = game_groups(frames)
    draw = {
        "win_rate": lambda: win_rate_figure(frames, metrics, n_boot, seed),
        "accuracy": lambda: accuracy_figure(frames, metrics, n_boot, seed),
        "trust_over_days": lambda: trust_figure(frames["beliefs"], groups, n_boot, seed),
        "calibration": lambda: calibration_figure(frames["beliefs"], groups, n_boot=n_boot, seed=seed),
    }
    with matplotlib.rc_context(STYLE):
        for name in names:
            paths += _save(draw[name](), out_dir / name)
    return paths
