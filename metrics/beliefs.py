"""Beliefs as forecasts: calibration and discrimination of Faithful P(traitor) reports (Brier, log loss,
AUC), and belief-based deception success (how much the Faithfuls trust the Traitors).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.tidy import PerGame, game_codes, per_game_mean, unit_mean

EPS = 1e-6


def _faithful(beliefs: pd.DataFrame) -> pd.DataFrame:
    """Reports made by Faithful observers about players whose role is known."""
    return beliefs[(beliefs["observer_role"] == "faithful") & beliefs["target_role"].notna()]


def scores(beliefs: pd.DataFrame, games: pd.DataFrame) -> dict[str, PerGame]:
    """Brier score and log loss of Faithful beliefs per game, pooled over all their reports (y = the
    target is a Traitor when the report is made; n = reports), and their AUC per day averaged over the
    days whose reports concern both classes (n = days): within a day, so that beliefs rising as players
    die do not pass for discrimination."""
    f = _faithful(beliefs)
    g = game_codes(f, games)
    p = f["p_traitor"].to_numpy(dtype=float)
    y = (f["target_role"] == "traitor").to_numpy(dtype=float)
    q = np.clip(p, EPS, 1 - EPS)
    brier = per_game_mean(g, (p - y) ** 2, len(games))
    logloss = per_game_mean(g, -(y * np.log(q) + (1 - y) * np.log(1 - q)), len(games))
    day = f["day"].to_numpy(dtype=np.int64)
    span = int(day.max()) + 1 if len(day) else 1
    units, day_auc = auc(g.astype(np.int64) * span + day, p, y)
    return {"brier": brier, "log_loss": logloss, "AUC": per_game_mean(units // span, day_auc, len(games))}


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


def deception(beliefs: pd.DataFrame, games: pd.DataFrame) -> PerGame:
    """Mean Faithful trust (1 − P(traitor)) in each Traitor, averaged over Traitors per day, then days."""
    f = _faithful(beliefs)
    f = f[f["target_role"] == "traitor"]
    if f.empty:
        return np.full(len(games), np.nan), np.zeros(len(games), dtype=np.int64)
    g, day = game_codes(f, games), f["day"].to_numpy()
    span = int(day.max()) + 1
    target, names = pd.factorize(f["target"])
    unit = (g * span + day) * len(names) + target
    t_units, trust = unit_mean(unit, 1 - f["p_traitor"].to_numpy(dtype=float))
    d_units, d_trust = unit_mean(t_units // len(names), trust)
    return per_game_mean(d_units // span, d_trust, len(games))


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
    """Brier, log loss, AUC and deception success per game."""
    beliefs, games = frames["beliefs"], frames["games"]
    return {**scores(beliefs, games), "deception": deception(beliefs, games)}
