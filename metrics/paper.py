"""The seed paper's metrics, per round table (docs/metrics.md), and their chance levels.

B_r: the valid first-ballot banish votes of round table r; F_r / T_r: those cast by players who were
Faithful / Traitor when voting. A round-table metric is a mean over the round tables where its denominator
is non-zero (n = that count). The players present at a round table are its first-ballot voters (every
living player is asked, so an invalid or fallback vote still marks its voter as present).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from metrics.payloads import codes
from metrics.provenance import OUTCOME_STATUSES
from metrics.schema import conform
from metrics.tidy import (
    ROUND_SPAN,
    PerGame,
    factor,
    game_codes,
    mode_share,
    per_game_mean,
    round_units,
    slope,
    undefined,
    unit_mean,
    unit_share,
)


def first_ballot(votes: pd.DataFrame, kind: str = "banish") -> pd.DataFrame:
    """Valid first-ballot votes of ``kind`` (revotes and invalid votes never count)."""
    return votes[(votes["kind"] == kind) & (votes["ballot"] == 1) & votes["valid"].astype(bool)]


def present(votes: pd.DataFrame) -> pd.DataFrame:
    """Every first-ballot banish vote row, valid or not: who was at each round table."""
    return votes[(votes["kind"] == "banish") & (votes["ballot"] == 1)]


def _agreement(unit: np.ndarray, target: pd.Series, n_games: int, min_votes: int = 1) -> PerGame:
    """Share of the most-voted target's votes per unit (units with at least ``min_votes`` votes),
    averaged per game."""
    keep = unit >= 0
    unit, target = unit[keep], target[keep]
    if len(unit) == 0:
        return undefined(n_games)
    units, share, _ = mode_share(unit, factor(target))
    counts = np.unique(unit, return_counts=True)[1]
    ok = counts >= min_votes
    return per_game_mean(units[ok] // ROUND_SPAN, share[ok], n_games)


def fcr(b: pd.DataFrame, rounds: pd.DataFrame, games: pd.DataFrame) -> dict[str, PerGame]:
    """FCR (share of Faithful first-ballot votes against a then-Traitor, per round table), its chance level
    (the share of Traitors among a Faithful voter's options, T / (N − 1), on the same round tables) and
    their difference ``FCR_vs_chance``."""
    n = len(games)
    f = b[b["voter_role"] == "faithful"]
    unit = round_units(f, games)
    if not (unit >= 0).any():
        return {"FCR": undefined(n), "FCR_chance": undefined(n), "FCR_vs_chance": undefined(n)}
    units, share = unit_mean(unit[unit >= 0], (f["target_role"] == "traitor").to_numpy()[unit >= 0])
    r_unit = round_units(rounds, games)
    players = rounds["players"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        chance_of = pd.Series(rounds["traitors"].to_numpy(dtype=float) / (players - 1), index=r_unit)
    chance = chance_of.reindex(units).to_numpy(dtype=float)
    g = units // ROUND_SPAN
    return {
        "FCR": per_game_mean(g, share, n),
        "FCR_chance": per_game_mean(g, chance, n),
        "FCR_vs_chance": per_game_mean(g, share - chance, n),
    }


def survival(
    players: pd.DataFrame, games: pd.DataFrame, statuses: Sequence[str] = OUTCOME_STATUSES
) -> dict[str, PerGame]:
    """TSR (ever-Traitors alive at the end) and FSR (Faithful and alive at the end / Faithful at start);
    undefined for games whose status is not in ``statuses`` (default: finished; running and degraded games
    are left out)."""
    finished = games["status"].isin(list(statuses)).to_numpy()
    g = game_codes(players, games)
    alive = players["alive_at_end"].to_numpy(dtype=bool)
    ever_t = (players["final_role"] == "traitor").to_numpy()
    start_f = (players["initial_role"] == "faithful").to_numpy()
    end_f = (players["final_role"] == "faithful").to_numpy() & alive
    tsr = per_game_mean(g[ever_t], alive[ever_t].astype(float), len(games))
    n_f = np.bincount(g[start_f], minlength=len(games))
    with np.errstate(invalid="ignore", divide="ignore"):
        fsr = np.where(n_f > 0, np.bincount(g[end_f], minlength=len(games)) / np.maximum(n_f, 1), np.nan)
    return {
        "TSR": (np.where(finished, tsr[0], np.nan), np.where(finished, tsr[1], 0)),
        "FSR": (np.where(finished, fsr, np.nan), np.where(finished, n_f, 0)),
    }


class _Tally:
    """First-ballot vote counts per (unit, target): the count of any pair, and per unit the top count and
    how many targets reach it."""

    def __init__(self, unit: np.ndarray, target: np.ndarray, span: int) -> None:
        self.span = span
        self.pairs, self.counts = np.unique(unit * span + target, return_counts=True)
        pair_unit = self.pairs // span
        self.units, start = np.unique(pair_unit, return_index=True)
        self.top = np.maximum.reduceat(self.counts, start) if len(start) else np.zeros(0, dtype=np.int64)
        at_top = self.counts == np.repeat(self.top, np.diff(np.append(start, len(self.pairs))))
        self.n_top = np.add.reduceat(at_top.astype(np.int64), start) if len(start) else self.top

    def count(self, unit: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Votes for ``target`` in ``unit`` (0 for none or an unknown target, code -1)."""
        return _find(self.pairs, self.counts, unit * self.span + np.maximum(target, 0)) * (target >= 0)

    def top_of(self, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(top count, targets at the top) of each unit (0, 0 for a unit without votes)."""
        return _find(self.units, self.top, unit), _find(self.units, self.n_top, unit)


def _find(keys: np.ndarray, values: np.ndarray, want: np.ndarray) -> np.ndarray:
    """``values`` at the positions of ``want`` in the sorted ``keys`` (0 where absent)."""
    if len(keys) == 0:
        return np.zeros(len(want), dtype=np.int64)
    pos = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
    return np.where(keys[pos] == want, values[pos], 0)


def des(b: pd.DataFrame, rounds: pd.DataFrame, games: pd.DataFrame) -> dict[str, PerGame]:
    """Round tables with a banishment and a valid Traitor first-ballot vote (n = those):

    - ``DES``: 1 when the banished player was Faithful and the *unique* most-voted target of the Traitors'
      first-ballot votes;
    - ``DES_pivotal``: 1 when the banished player was Faithful and the unique leader of the first ballot,
      but would not have been its unique leader without the Traitors' votes (revote banishments score 0);
    - ``DES_paper``: the seed paper's reading: the banished Faithful was among the Traitors' (possibly tied)
      most-voted targets;
    - ``faithful_banished``: the banished player was Faithful (the base rate DES and DES_paper are part of).
    """
    n = len(games)
    names = ("DES", "DES_pivotal", "DES_paper", "faithful_banished")
    out = rounds[rounds["banished"].notna()]
    if out.empty or b.empty:
        return {k: undefined(n) for k in names}
    target, labels = pd.factorize(b["target"])
    span = len(labels) + 1
    unit = round_units(b, games)
    traitor = (b["voter_role"] == "traitor").to_numpy()
    every = _Tally(unit, target, span)
    by_t = _Tally(unit[traitor], target[traitor], span)
    by_f = _Tally(unit[~traitor], target[~traitor], span)
    o_unit = round_units(out, games)
    gone = codes(out["banished"], pd.Index(labels))
    t_top, t_ties = by_t.top_of(o_unit)
    voted = t_top > 0  # the Traitors cast a valid first-ballot vote at that round table
    faithful = (out["banished_role"] == "faithful").to_numpy()
    t_votes = by_t.count(o_unit, gone)
    among = faithful & (t_votes == t_top) & voted
    unique = among & (t_ties == 1)
    all_top, all_ties = every.top_of(o_unit)
    f_top, f_ties = by_f.top_of(o_unit)
    leads = (every.count(o_unit, gone) == all_top) & (all_ties == 1)
    leads_without = (by_f.count(o_unit, gone) == f_top) & (f_ties == 1) & (f_top > 0)
    pivotal = faithful & leads & ~leads_without
    g = o_unit[voted] // ROUND_SPAN
    values = {"DES": unique, "DES_pivotal": pivotal, "DES_paper": among, "faithful_banished": faithful}
    return {k: per_game_mean(g, v[voted].astype(float), n) for k, v in values.items()}


def brr(b: pd.DataFrame, votes: pd.DataFrame, rounds: pd.DataFrame, games: pd.DataFrame) -> PerGame:
    """Per Traitor banished at round table r*: the share of the Faithfuls present at r* who had cast a valid
    first-ballot vote for them at an earlier round table *while they were a Traitor*; mean over the game's
    banished Traitors (n = banished Traitors with a Faithful present)."""
    caught = rounds[rounds["banished"].notna() & (rounds["banished_role"] == "traitor")]
    here = present(votes)
    here = here.loc[here["voter_role"] == "faithful", ["game_id", "round", "voter"]]
    if caught.empty or here.empty:
        return undefined(len(games))
    rows = (
        caught[["game_id", "round", "banished"]]
        .astype({"game_id": object, "banished": object, "round": "int64"})
        .merge(here.astype({"game_id": object, "voter": object, "round": "int64"}), on=["game_id", "round"])
    )
    if rows.empty:
        return undefined(len(games))
    on_t = b[b["target_role"] == "traitor"]
    first = on_t.groupby(["game_id", "voter", "target"], observed=True, sort=False)["round"].min()
    first = first.rename("first_round").reset_index().astype({"game_id": object, "voter": object})
    first = first.astype({"target": object, "first_round": "int64"})
    rows = rows.merge(
        first, left_on=["game_id", "voter", "banished"], right_on=["game_id", "voter", "target"], how="left"
    )
    rows["hit"] = (rows["first_round"] < rows["round"]).astype(float)
    share = rows.groupby(["game_id", "banished"], sort=False)["hit"].mean().reset_index()
    return per_game_mean(game_codes(share, games), share["hit"].to_numpy(), len(games))


def vsf(b: pd.DataFrame, votes: pd.DataFrame, games: pd.DataFrame) -> PerGame:
    """Per later round table: over pairs of a voter's consecutive valid first-ballot votes whose earlier
    target is still present (votes) at the later round table, the share whose target changed."""
    if b.empty:
        return undefined(len(games))
    key = factor(b["game_id"], b["voter"])
    order = np.argsort(key, kind="stable")
    same = key[order][1:] == key[order][:-1]
    later = b.iloc[order[1:][same]]
    here = present(votes)
    names = pd.Index(pd.unique(here["voter"].astype(str)))
    target = codes(b["target"], names)[order]  # -1: a target who never votes (never present)
    earlier, now = target[:-1][same], target[1:][same]
    span = len(names) + 1
    at = round_units(here, games) * span + codes(here["voter"], names)
    unit = round_units(later, games)
    still = (earlier >= 0) & np.isin(unit * span + earlier, at)
    return unit_share(unit[still], (now != earlier)[still], len(games))


def idr(beliefs: pd.DataFrame, games: pd.DataFrame) -> dict[str, PerGame]:
    """From Faithful observers' reports, per round table: IDR, the mean over observers of the share of
    Traitors among their top suspects (ties: the share among the tied); its chance level, the share of
    Traitors among the report's targets; their difference; the slopes of IDR and of the difference over
    round tables."""
    n = len(games)
    f = beliefs[(beliefs["observer_role"] == "faithful") & beliefs["target_role"].notna()]
    keys = ("IDR", "IDR_chance", "IDR_vs_chance", "IDR_slope", "IDR_slope_vs_chance")
    if f.empty:
        return {k: undefined(n) for k in keys}
    report = factor(f["game_id"], f["round"], f["observer"])
    order = np.argsort(report, kind="stable")
    report = report[order]
    start = np.flatnonzero(np.r_[True, report[1:] != report[:-1]])
    p = f["p_traitor"].to_numpy(dtype=float)[order]
    traitor = (f["target_role"] == "traitor").to_numpy()[order]
    top = np.maximum.reduceat(p, start)
    is_top = p >= np.repeat(top, np.diff(np.r_[start, len(p)])) - 1e-12
    share = np.add.reduceat(traitor & is_top, start) / np.add.reduceat(is_top, start)  # ties: share
    chance = np.add.reduceat(traitor, start) / np.diff(np.r_[start, len(p)])
    unit = round_units(f, games)[order][start]
    units, r_share = unit_mean(unit, share)
    _, r_chance = unit_mean(unit, chance)
    g, r = units // ROUND_SPAN, units % ROUND_SPAN
    return {
        "IDR": per_game_mean(g, r_share, n),
        "IDR_chance": per_game_mean(g, r_chance, n),
        "IDR_vs_chance": per_game_mean(g, r_share - r_chance, n),
        "IDR_slope": slope(g, r, r_share, n),
        "IDR_slope_vs_chance": slope(g, r, r_share - r_chance, n),
    }


def tns(beliefs: pd.DataFrame, games: pd.DataFrame) -> dict[str, PerGame]:
    """1 − mean |Δ P(traitor)| between an observer's consecutive reports on a target, per round table of
    the later report, over round tables: ``TNS`` for reports by Faithfuls (role at the later report),
    ``TNS_by_traitors`` for reports by Traitors, who know every role."""
    n = len(games)
    if beliefs.empty:
        return {"TNS": undefined(n), "TNS_by_traitors": undefined(n)}
    key = factor(beliefs["game_id"], beliefs["observer"], beliefs["target"])
    order = np.argsort(key, kind="stable")
    same = key[order][1:] == key[order][:-1]
    p = beliefs["p_traitor"].to_numpy(dtype=float)[order]
    delta = np.abs(np.diff(p))[same]
    rows = order[1:][same]
    unit = round_units(beliefs, games)[rows]
    traitor = (beliefs["observer_role"] == "traitor").to_numpy()[rows]
    faithful = (beliefs["observer_role"] == "faithful").to_numpy()[rows]
    out = {}
    for name, mine in (("TNS", faithful), ("TNS_by_traitors", traitor)):
        value, count = unit_share(unit[mine], delta[mine], n)
        out[name] = (1.0 - value, count)
    return out


def rounds_of(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The rounds table of ``frames`` (an empty one with its columns when the frames have none)."""
    rounds = frames.get("rounds")
    return conform(pd.DataFrame() if rounds is None else rounds, "rounds")


def paper_metrics(
    frames: dict[str, pd.DataFrame], statuses: Sequence[str] = OUTCOME_STATUSES
) -> dict[str, PerGame]:
    """All paper metrics per game, keyed by metric name (survival only for games whose status is in
    ``statuses``). Every vote and belief row of ``frames`` counts: :func:`metrics.compute_metrics` passes
    frames without the fallbacks' decisions by default."""
    games, votes, players, beliefs = frames["games"], frames["votes"], frames["players"], frames["beliefs"]
    rounds = rounds_of(frames)
    n = len(games)
    b = first_ballot(votes)
    t = b[b["voter_role"] == "traitor"]
    f = b[b["voter_role"] == "faithful"]
    murder = first_ballot(votes, "murder")
    gm = game_codes(murder, games).astype(np.int64)
    night = np.where(gm >= 0, gm * ROUND_SPAN + murder["day"].to_numpy(dtype=np.int64), -1)  # per night
    return {
        **fcr(b, rounds, games),
        "FAS": _agreement(round_units(f, games), f["target"], n),
        "TAS": _agreement(round_units(t, games), t["target"], n, min_votes=2),
        "night_consensus": _agreement(night, murder["target"], n, min_votes=2),
        **survival(players, games, statuses),
        **des(b, rounds, games),
        **idr(beliefs, games),
        "BRR": brr(b, votes, rounds, games),
        "VSF": vsf(b, votes, games),
        **tns(beliefs, games),
    }
