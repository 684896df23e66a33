"""Beliefs as forecasts: calibration and discrimination of Faithful P(traitor) reports (Brier, log loss,
AUC), and the deception gap (how much less the Faithfuls trust the Traitors than their fellow Faithfuls).

Only Faithful observers' reports count here: the Traitors know every role, so their reports say nothing
about what the table has found out. Round-table units as in metrics.paper.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.tidy import ROUND_SPAN, PerGame, game_codes, per_game_mean, round_units, undefined, unit_mean

EPS = 1e-6


def _faithful(beliefs: pd.DataFrame) -> pd.DataFrame:
    """Reports made by Faithful observers about players whose role is known."""
    return beliefs[(beliefs["observer_role"] == "faithful") & beliefs["target_role"].notna()]


def scores(beliefs: pd.DataFrame, games: pd.DataFrame) -> dict[str, PerGame]:
    """Brier score and log loss of Faithful beliefs per game, pooled over all their reports (y = the
    target is a Traitor when the report is made; n = reports), and their AUC per round table averaged over
    the round tables whose reports concern both classes (n = round tables): within a round table, so that
    beliefs rising as players die do not pass for discrimination."""
    f = _faithful(beliefs)
    g = game_codes(f, games)
    p = f["p_traitor"].to_numpy(dtype=float)
    y = (f["target_role"] == "traitor").to_numpy(dtype=float)
    q = np.clip(p, EPS, 1 - EPS)
    brier = per_game_mean(g, (p - y) ** 2, len(games))
    logloss = per_game_mean(g, -(y * np.log(q) + (1 - y) * np.log(1 - q)), len(games))
    units, round_auc = auc(round_units(f, games), p, y)
    return {
        "brier": brier,
        "log_loss": logloss,
        "AUC": per_game_mean(units // ROUND_SPAN, round_auc, len(games)),
    }


def auc(unit: np.ndarray, p: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC AUC per unit by the rank-sum (Mann-Whitney) formula, ties counting one half: (units, AUC),
    NaN for a unit whose rows are all of one class."""
    if len(unit) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    units, inverse = np.unique(unit, return_inverse=True)
    ranks = pd.Series(p).groupby(inverse).rank(method="average").to_numpy()
    pos = np.bincount(inverse, weights=y)
    neg = np.bincount(inverse, weights=1 - y)
    rank_sum = np.bincount(inverse, weights=ranks * y)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (rank_sum - pos * (pos + 1) / 2) / (pos * neg)
    return units, np.where((pos > 0) & (neg > 0), value, np.nan)


def deception_gap(beliefs: pd.DataFrame, games: pd.DataFrame) -> PerGame:
    """Per round table: the Faithful observers' mean trust (1 − P(traitor)) in the Traitors (mean over
    Traitors of the mean over observers) minus their mean trust in fellow Faithfuls (likewise); mean over
    the round tables where both are reported on. 0: the Traitors are trusted like Faithfuls (no signal);
    negative: they are found out."""
    f = _faithful(beliefs)
    if f.empty:
        return undefined(len(games))
    unit = round_units(f, games)
    target, names = pd.factorize(f["target"])
    trust = 1 - f["p_traitor"].to_numpy(dtype=float)
    side = (f["target_role"] == "traitor").to_numpy()
    per_target, mean_trust = unit_mean(unit * len(names) + target, trust)  # each target's mean trust
    t_unit = per_target // len(names)
    is_t = _find_side(unit * len(names) + target, side, per_target)
    levels = []
    for flag in (True, False):
        units, level = unit_mean(t_unit[is_t == flag], mean_trust[is_t == flag])
        levels.append(pd.Series(level, index=units))
    both = levels[0].index.intersection(levels[1].index)
    gap = (levels[0].reindex(both) - levels[1].reindex(both)).to_numpy(dtype=float)
    return per_game_mean(both.to_numpy() // ROUND_SPAN, gap, len(games))


def _find_side(key: np.ndarray, side: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The ``side`` flag of each of the sorted unique ``keys`` (from any row with that key)."""
    uniq, first = np.unique(key, return_index=True)
    return side[first][np.searchsorted(uniq, keys)]


def calibration(beliefs: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Reliability table of Faithful beliefs: per bin of P(traitor), the mean forecast, the observed share
    of Traitors and the count (empty bins omitted). Every row of ``beliefs`` counts: pass
    ``metrics.without_fallbacks(frames)["beliefs"]`` for the seats' own reports only."""
    f = _faithful(beliefs)
    p = f["p_traitor"].to_numpy(dtype=float)
    y = (f["target_role"] == "traitor").to_numpy(dtype=float)
    b = np.minimum((p * bins).astype(int), bins - 1)
    table = (
        pd.DataFrame({"bin": b, "p": p, "y": y})
        .groupby("bin")
        .agg(mean_p=("p", "mean"), observed=("y", "mean"), n=("y", "size"))
        .reset_index()
    )
    table["bin_low"] = table["bin"] / bins
    table["bin_high"] = (table["bin"] + 1) / bins
    return table[["bin_low", "bin_high", "mean_p", "observed", "n"]]


def belief_metrics(frames: dict[str, pd.DataFrame]) -> dict[str, PerGame]:
    """Brier, log loss, AUC and the deception gap per game (Faithful observers)."""
    beliefs, games = frames["beliefs"], frames["games"]
    return {**scores(beliefs, games), "deception_gap": deception_gap(beliefs, games)}
