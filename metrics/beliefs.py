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
    """Brier score, log loss and AUC of Faithful beliefs per game, pooled over all their reports
    (y = the target is a Traitor when the report is made; n = reports). AUC is undefined (NaN) for a game
    whose reports concern only one class."""
    f = _faithful(beliefs)
    g = game_codes(f, games)
    p = f["p_traitor"].to_numpy(dtype=float)
    y = (f["target_role"] == "traitor").to_numpy(dtype=float)
    q = np.clip(p, EPS, 1 - EPS)
    brier = per_game_mean(g, (p - y) ** 2, len(games))
    logloss = per_game_mean(g, -(y * np.log(q) + (1 - y) * np.log(1 - q)), len(games))
    return {"brier": brier, "log_loss": logloss, "AUC": auc(g, p, y, len(games))}


def auc(g: np.ndarray, p: np.ndarray, y: np.ndarray, n_games: int) -> PerGame:
    """Per-game ROC AUC by the rank-sum (Mann-Whitney) formula; ties count one half."""
    if len(g) == 0:
        return np.full(n_games, np.nan), np.zeros(n_games, dtype=np.int64)
    ranks = pd.Series(p).groupby(g).rank(method="average").to_numpy()
    pos = np.bincount(g, weights=y, minlength=n_games)
    neg = np.bincount(g, weights=1 - y, minlength=n_games)
    rank_sum = np.bincount(g, weights=ranks * y, minlength=n_games)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (rank_sum - pos * (pos + 1) / 2) / (pos * neg)
    ok = (pos > 0) & (neg > 0)
    return np.where(ok, value, np.nan), np.where(ok, pos + neg, 0).astype(np.int64)


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
    of Traitors and the count (empty bins omitted)."""
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
