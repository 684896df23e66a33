"""Aggregates of the long metrics table: means with seeded bootstrap CIs by any grouping, and paired
comparisons of two conditions that share seeds.

Grouping columns available for every row: ``game_id, scenario, seed, population`` (the game's models,
sorted and joined by '+'), ``role`` and ``model``. For a player-level row (win, survived,
outcome_agreement) role and model are the player's (role = the side they ended on); for a game-level
row role is the side the metric scores (:data:`metrics.compute.METRICS`) and model that side's model
('mixed' when its players use several models; side 'all' uses every player). A metric of the model seats
(fallback_rate) has role 'all' and the model of the seats played by a model (every seat's when none is).
Summaries are always per scenario unless pooling is asked for.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from metrics.compute import CHANCE, DEGRADED_LEFT_OUT, METRICS
from metrics.provenance import model_seats

GROUPS = ("game_id", "scenario", "seed", "population", "role", "model", "metric")
#: Attribute of a summary (``table.attrs``): the scenarios pooled into one row per group when
#: ``pool_scenarios=True`` (empty when every row is one scenario's).
POOLED = "pooled_scenarios"
COLUMNS = ("n", "games", "mean", "ci_low", "ci_high", "units", "chance")


def side_models(players: pd.DataFrame) -> pd.DataFrame:
    """Per game: population and the model of each side (faithful, traitor, all) at the start, and of the
    model seats (``model_seats``: every seat when no seat is a model)."""
    p = pd.DataFrame(
        {
            "game_id": players["game_id"].astype(object),
            "model": players["model"].astype(object),
            "side": players["initial_role"].astype(object),
        }
    )
    seats = p[model_seats(players)]

    def label(keys: list[str], rows: pd.DataFrame = p) -> pd.Series:
        stats = rows.groupby(keys)["model"].agg(["nunique", "first"])
        return stats["first"].where(stats["nunique"] == 1, "mixed")

    per_side = label(["game_id", "side"]).unstack()
    pairs = p[["game_id", "model"]].dropna().drop_duplicates().sort_values(["game_id", "model"])
    out = per_side.reindex(columns=["faithful", "traitor"])
    out["all"] = label(["game_id"])
    out["model_seats"] = label(["game_id"], seats)
    out["population"] = pairs.groupby("game_id")["model"].agg("+".join)
    return out


def annotate(metrics: pd.DataFrame, frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The long metrics with the grouping columns of :data:`GROUPS` added."""
    games = frames["games"].set_index("game_id")
    players = frames["players"]
    sides = side_models(players)
    out = metrics.copy()
    gid = out["game_id"].to_numpy(dtype=object)
    out["scenario"] = games["scenario"].reindex(gid).to_numpy(dtype=object)
    out["seed"] = games["seed"].reindex(gid).to_numpy()
    out["population"] = sides["population"].reindex(gid).to_numpy(dtype=object)
    subject = (
        out["metric"].map({k: v.subject for k, v in METRICS.items()}).fillna("all").to_numpy(dtype=object)
    )
    is_player = out["player"].notna().to_numpy()
    out["role"] = np.where(is_player, None, np.where(subject == "model_seats", "all", subject))
    model = np.full(len(out), None, dtype=object)
    for side in ("faithful", "traitor", "all", "model_seats"):
        rows = ~is_player & (subject == side)
        model[rows] = sides[side].reindex(gid[rows]).to_numpy(dtype=object)
    if is_player.any():
        info = players.set_index(["game_id", "player"])
        keys = pd.MultiIndex.from_arrays([gid[is_player], out["player"].to_numpy(dtype=object)[is_player]])
        model[is_player] = info["model"].reindex(keys).to_numpy(dtype=object)
        role = out["role"].to_numpy(dtype=object).copy()
        role[is_player] = info["final_role"].astype(object).reindex(keys).to_numpy(dtype=object)
        out["role"] = role
    out["model"] = model
    return out


def bootstrap_ci(
    values: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
    level: float = 0.95,
    clusters: np.ndarray | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (NaN for no values; the value itself when
    all are equal). With ``clusters`` (e.g. game codes), whole clusters are resampled: the rows of one
    game (its players) are not independent."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return np.nan, np.nan
    if np.all(values == values[0]):
        return float(values[0]), float(values[0])
    if clusters is None:
        sums, counts = values, np.ones(len(values))
    else:
        inverse = np.unique(clusters, return_inverse=True)[1]
        sums, counts = np.bincount(inverse, weights=values), np.bincount(inverse).astype(float)
    k = len(sums)
    means = np.empty(n_boot)
    step = max(1, 4_000_000 // k)
    for start in range(0, n_boot, step):
        pick = rng.integers(0, k, (min(n_boot, start + step) - start, k))
        means[start : start + len(pick)] = sums[pick].sum(axis=1) / counts[pick].sum(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def _rng(seed: int, key: object) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(repr(key).encode())])


def summarize(
    metrics: pd.DataFrame,
    frames: Mapping[str, pd.DataFrame],
    by: Sequence[str] = (),
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    pool_scenarios: bool = False,
) -> pd.DataFrame:
    """Per scenario, group of ``by`` (any of game_id, scenario, seed, population, role, model) and metric:
    n (rows with a defined value: games, or players for player-level metrics), games (distinct games among
    them: the unit the bootstrap resamples), mean, ci_low, ci_high (seeded percentile bootstrap of the mean,
    resampling games), units (the sum of the rows' n) and chance (the mean chance level over the same games,
    for the metrics of :data:`metrics.compute.CHANCE`; NaN otherwise).

    Rows are always per scenario (``scenario`` is added as the first grouping) unless ``pool_scenarios``,
    which pools them and lists the pooled scenarios in ``attrs["pooled_scenarios"]``. Rows are sorted by
    the groups, then metrics in the order of :data:`metrics.compute.METRICS`. ``attrs["degraded_left_out"]``
    repeats the ids of the degraded games whose outcomes ``metrics`` left out."""
    by = [b for b in by if b != "metric"]
    unknown = sorted(set(by) - set(GROUPS))
    if unknown:
        raise ValueError(f"unknown grouping {', '.join(unknown)}; choose from {', '.join(GROUPS[:-1])}")
    if not pool_scenarios and "scenario" not in by:
        by = ["scenario", *by]
    data = annotate(metrics, frames)
    data = data[np.isfinite(data["value"].to_numpy(dtype=float))]
    chance_of = {
        name: data.loc[data["metric"] == name].groupby("game_id")["value"].first()
        for name in {c for c, _ in CHANCE.values()}
    }
    keys = [*by, "metric"]
    rows = []
    for key, group in data.groupby(keys, sort=True, dropna=False):
        values = group["value"].to_numpy(dtype=float)
        games = group["game_id"].to_numpy(dtype=object)
        clusters = pd.factorize(games)[0] if group["player"].notna().any() else None
        low, high = bootstrap_ci(values, n_boot, _rng(seed, key), level, clusters)
        chance = np.nan
        if key[-1] in CHANCE:
            name, complement = CHANCE[key[-1]]
            level_of = chance_of[name].reindex(pd.unique(games)).to_numpy(dtype=float)
            chance = float(np.nanmean(level_of)) if np.isfinite(level_of).any() else np.nan
            chance = 1.0 - chance if complement else chance
        distinct = len(pd.unique(games))
        rows.append((*key, len(values), distinct, values.mean(), low, high, int(group["n"].sum()), chance))
    table = pd.DataFrame(rows, columns=[*keys, *COLUMNS])
    order = {name: i for i, name in enumerate(METRICS)}  # groups sorted, metrics in METRICS order
    rank = table["metric"].map(order).fillna(len(order))
    table = (
        table.assign(_rank=rank)
        .sort_values([*by, "_rank", "metric"], kind="stable")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )
    table.attrs[DEGRADED_LEFT_OUT] = list(metrics.attrs.get(DEGRADED_LEFT_OUT, []))
    pooled = sorted(set(data["scenario"].dropna().astype(str))) if "scenario" not in by else []
    table.attrs[POOLED] = pooled if len(pooled) > 1 else []
    return table


def paired_compare(
    metrics: pd.DataFrame,
    frames: Mapping[str, pd.DataFrame],
    condition: str | Mapping[str, str],
    a: str,
    b: str,
    pair_on: str = "seed",
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Condition ``b`` minus condition ``a`` for game-level metrics over games paired by ``pair_on``
    (default the seed): n pairs, mean_a, mean_b, diff, bootstrap CI of the mean difference and a seeded
    sign-flip permutation p-value. ``condition`` is a grouping column (e.g. 'scenario', 'population') or a
    mapping game_id → condition label."""
    data = annotate(metrics[metrics["player"].isna()], frames)
    if isinstance(condition, str):
        data["condition"] = data[condition].astype(object)
    else:
        data["condition"] = data["game_id"].map(dict(condition))
    data = data[data["condition"].isin([a, b]) & np.isfinite(data["value"].to_numpy(dtype=float))]
    wide = data.pivot_table(index=["metric", pair_on], columns="condition", values="value", aggfunc="mean")
    wide = wide.reindex(columns=[a, b]).dropna()
    rows = []
    for metric, group in wide.groupby(level="metric", sort=True):
        d = (group[b] - group[a]).to_numpy(dtype=float)
        rng = _rng(seed, metric)
        low, high = bootstrap_ci(d, n_boot, rng)
        signs = rng.choice([-1.0, 1.0], size=(n_boot, len(d)))
        p = (np.sum(np.abs((signs * d).mean(axis=1)) >= abs(d.mean()) - 1e-12) + 1) / (n_boot + 1)
        rows.append((metric, len(d), group[a].mean(), group[b].mean(), d.mean(), low, high, p))
    return pd.DataFrame(
        rows, columns=["metric", "n", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "p_value"]
    )
