"""Vectorised building blocks shared by the metric modules: integer keys, (game, round table) unit keys and
shares per unit averaged per game, agreement (mode share) per group, and the long rows every metric ends as.

Every per-game result is a pair of arrays aligned with ``frames["games"]``: ``value`` (NaN where
undefined) and ``n`` (how many round tables/units/players the value is a mean over; 0 where undefined).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.payloads import codes

PerGame = tuple[np.ndarray, np.ndarray]


def game_codes(frame: pd.DataFrame, games: pd.DataFrame) -> np.ndarray:
    """Row → position of its game in ``games`` (-1 for a game not in the table)."""
    if frame.empty:
        return np.zeros(0, dtype=np.int64)
    return codes(frame["game_id"], pd.Index(games["game_id"]))


def factor(*columns: pd.Series | np.ndarray) -> np.ndarray:
    """One int64 key per row for the combination of ``columns`` (equal rows, equal keys)."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        found, uniques = pd.factorize(np.asarray(col) if not isinstance(col, pd.Series) else col)
        key = key * (len(uniques) + 1) + (found + 1)
    return key


def per_game_mean(g: np.ndarray, x: np.ndarray, n_games: int) -> PerGame:
    """Mean of the finite ``x`` per game code ``g``; n = how many were averaged."""
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x) & (g >= 0)
    n = np.bincount(g[ok], minlength=n_games)
    total = np.bincount(g[ok], weights=x[ok], minlength=n_games)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / np.maximum(n, 1), np.nan), n


def unit_mean(unit: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(units, mean of x per unit) for integer unit keys (sorted unique units)."""
    uniq, inverse = np.unique(unit, return_inverse=True)
    count = np.bincount(inverse)
    return uniq, np.bincount(inverse, weights=np.asarray(x, dtype=float)) / count


def mode_share(
    unit: np.ndarray, target: np.ndarray, span: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each unit: (units, count of its most frequent target / its rows, keys ``unit * span + target``
    of the modal pairs). ``target`` must be integer codes in [0, span)."""
    if span is None:
        span = int(target.max()) + 1 if len(target) else 1
    pairs, counts = np.unique(unit.astype(np.int64) * span + target, return_counts=True)
    pair_unit = pairs // span
    units, start = np.unique(pair_unit, return_index=True)
    top = np.maximum.reduceat(counts, start)
    total = np.add.reduceat(counts, start)
    modal = pairs[counts == np.repeat(top, np.diff(np.append(start, len(pairs))))]
    return units, top / total, modal


def slope(g: np.ndarray, x: np.ndarray, y: np.ndarray, n_games: int) -> PerGame:
    """Least-squares slope of y on x per game (NaN with fewer than two distinct x)."""
    ok = np.isfinite(y) & (g >= 0)
    g, x, y = g[ok], np.asarray(x, dtype=float)[ok], np.asarray(y, dtype=float)[ok]
    n = np.bincount(g, minlength=n_games).astype(float)
    sx, sy = np.bincount(g, x, n_games), np.bincount(g, y, n_games)
    sxx, sxy = np.bincount(g, x * x, n_games), np.bincount(g, x * y, n_games)
    den = n * sxx - sx * sx
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where((n >= 2) & (den > 1e-12), (n * sxy - sx * sy) / den, np.nan)
    return value, np.where(np.isfinite(value), n, 0).astype(np.int64)


def long_rows(games: pd.DataFrame, results: dict[str, PerGame]) -> pd.DataFrame:
    """Long rows (game_id, metric, value, n, player=NA) for every game and every metric in ``results``."""
    ids = games["game_id"].to_numpy(dtype=object)
    parts = [
        pd.DataFrame(
            {
                "game_id": ids,
                "metric": name,
                "value": np.asarray(v, dtype=float),
                "n": np.where(np.isfinite(np.asarray(v, dtype=float)), n, 0).astype(np.int64),
            }
        )
        for name, (v, n) in results.items()
    ]
    out = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["game_id", "metric", "value", "n"])
    )
    out["player"] = None
    return out


#: Round-table numbers are below this: a (game, round table) unit is keyed ``game code * ROUND_SPAN + round``.
ROUND_SPAN = 1 << 12


def round_units(frame: pd.DataFrame, games: pd.DataFrame, column: str = "round") -> np.ndarray:
    """Row → its (game, round table) unit key ``game code * ROUND_SPAN + round`` (-1 outside ``games``)."""
    if frame.empty:
        return np.zeros(0, dtype=np.int64)
    g = game_codes(frame, games).astype(np.int64)
    r = frame[column].to_numpy(dtype=np.int64, na_value=0)
    if len(r) and int(r.max()) >= ROUND_SPAN:
        raise ValueError(f"round table number {int(r.max())} out of range")
    return np.where(g >= 0, g * ROUND_SPAN + r, -1)


def unit_share(unit: np.ndarray, x: np.ndarray, n_games: int, span: int = ROUND_SPAN) -> PerGame:
    """Mean of ``x`` per unit (``game code * span + …`` keys), averaged over each game's units."""
    keep = unit >= 0
    if not keep.any():
        return np.full(n_games, np.nan), np.zeros(n_games, dtype=np.int64)
    units, share = unit_mean(unit[keep], np.asarray(x, dtype=float)[keep])
    return per_game_mean(units // span, share, n_games)


def undefined(n_games: int) -> PerGame:
    """A metric undefined in every game (NaN, n = 0)."""
    return np.full(n_games, np.nan), np.zeros(n_games, dtype=np.int64)
