"""The seed paper's ten metrics, defined as in DESIGN.md §5 (not as the paper's code computed them).

B_d: valid first-ballot banish votes of day d; F_d / T_d: those cast by players who were Faithful /
Traitor when voting. Day-based metrics are a mean over the days whose denominator is non-zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from metrics.payloads import codes
from metrics.provenance import OUTCOME_STATUSES
from metrics.tidy import PerGame, daily_share, factor, game_codes, mode_share, per_game_mean, slope, unit_mean


def first_ballot(votes: pd.DataFrame, kind: str = "banish") -> pd.DataFrame:
    """Valid first-ballot votes of ``kind`` (revotes and invalid votes never count)."""
    return votes[(votes["kind"] == kind) & (votes["ballot"] == 1) & votes["valid"].astype(bool)]


def _agreement(ballots: pd.DataFrame, games: pd.DataFrame) -> PerGame:
    """Count of the most-voted target / votes, per (game, day), averaged over days."""
    if ballots.empty:
        return np.full(len(games), np.nan), np.zeros(len(games), dtype=np.int64)
    g, day = game_codes(ballots, games), ballots["day"].to_numpy()
    span = int(day.max()) + 1
    units, share, _ = mode_share(g * span + day, factor(ballots["target"]))
    return per_game_mean(units // span, share, len(games))


def fcr(b: pd.DataFrame, games: pd.DataFrame) -> PerGame:
    """Faithful correctness: share of Faithful first-ballot votes against a Traitor."""
    f = b[b["voter_role"] == "faithful"]
    return daily_share(
        game_codes(f, games), f["day"].to_numpy(), (f["target_role"] == "traitor").to_numpy(), len(games)
    )


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


def des(b: pd.DataFrame, players: pd.DataFrame, games: pd.DataFrame) -> PerGame:
    """Days with a banishment: share where the banished was Faithful and a Traitors' most-voted target."""
    t = b[b["voter_role"] == "traitor"]
    gone = players[players["elimination"] == "banished"]
    if t.empty or gone.empty:
        return np.full(len(games), np.nan), np.zeros(len(games), dtype=np.int64)
    target, names = pd.factorize(t["target"])
    span = int(max(t["day"].max(), gone["eliminated_day"].max())) + 1
    t_unit = game_codes(t, games) * span + t["day"].to_numpy()
    units, _, modal = mode_share(t_unit, target, span=len(names) + 1)
    g_unit = game_codes(gone, games) * span + gone["eliminated_day"].to_numpy(dtype=np.int64)
    banished = codes(gone["player"], pd.Index(names))
    pair = g_unit * (len(names) + 1) + np.where(banished < 0, len(names), banished)
    hit = (gone["final_role"] == "faithful").to_numpy() & np.isin(pair, modal)
    voted = np.isin(g_unit, units)  # days on which the Traitors cast a valid vote
    day_units, share = unit_mean(g_unit[voted], hit[voted])
    return per_game_mean(day_units // span, share, len(games))


def brr(b: pd.DataFrame, votes: pd.DataFrame, players: pd.DataFrame, games: pd.DataFrame) -> PerGame:
    """Per banished Traitor: share of the Faithfuls alive on that day who voted for them earlier."""
    caught = players[(players["elimination"] == "banished") & (players["final_role"] == "traitor")]
    present = votes[
        (votes["kind"] == "banish") & (votes["ballot"] == 1) & (votes["voter_role"] == "faithful")
    ]
    present = present[["game_id", "day", "voter"]].drop_duplicates()
    rows = (
        caught[["game_id", "player", "eliminated_day"]]
        .astype({"eliminated_day": "int64"})
        .merge(present, left_on=["game_id", "eliminated_day"], right_on=["game_id", "day"])
    )
    if rows.empty:
        return np.full(len(games), np.nan), np.zeros(len(games), dtype=np.int64)
    first = b.groupby(["game_id", "voter", "target"], observed=True, sort=False)["day"].min()
    first = first.rename("first_day").reset_index()
    rows = rows.merge(
        first, left_on=["game_id", "voter", "player"], right_on=["game_id", "voter", "target"], how="left"
    )
    rows["hit"] = (rows["first_day"] < rows["eliminated_day"]).astype(float)
    share = rows.groupby(["game_id", "player"], sort=False)["hit"].mean().reset_index()
    return per_game_mean(game_codes(share, games), share["hit"].to_numpy(), len(games))


def vsf(b: pd.DataFrame, players: pd.DataFrame, games: pd.DataFrame) -> PerGame:
    """Share of a voter's consecutive first-ballot votes that change target, when the earlier is alive."""
    key = factor(b["game_id"], b["voter"])
    order = np.argsort(key, kind="stable")
    target = b["target"].to_numpy(dtype=object)[order]
    same = key[order][1:] == key[order][:-1]
    later = b.iloc[order[1:][same]]
    earlier = target[:-1][same]
    elim = players.set_index(["game_id", "player"])["eliminated_day"]
    gone_day = elim.reindex(pd.MultiIndex.from_arrays([later["game_id"].to_numpy(), earlier])).to_numpy(
        dtype=float, na_value=np.inf
    )
    day = later["day"].to_numpy()
    alive = gone_day >= day
    changed = target[1:][same] != earlier
    return daily_share(game_codes(later, games)[alive], day[alive], changed[alive], len(games))


def idr(beliefs: pd.DataFrame, games: pd.DataFrame) -> dict[str, PerGame]:
    """Share of Faithful observers whose top suspect is a Traitor (ties: share of Traitors among the tied),
    per day; its mean over days and its slope over days."""
    f = beliefs[beliefs["observer_role"] == "faithful"]
    if f.empty:
        empty = (np.full(len(games), np.nan), np.zeros(len(games), dtype=np.int64))
        return {"IDR": empty, "IDR_slope": empty}
    report = factor(f["game_id"], f["day"], f["observer"])
    p = f["p_traitor"].to_numpy(dtype=float)
    top = pd.Series(p).groupby(report).transform("max").to_numpy()
    is_top = p >= top - 1e-12
    traitor = (f["target_role"] == "traitor").to_numpy()
    _, share = unit_mean(report[is_top], traitor[is_top])  # every report has a top suspect
    _, first = np.unique(report, return_index=True)
    g, day = game_codes(f, games)[first], f["day"].to_numpy()[first]
    span = int(day.max()) + 1
    d_units, d_share = unit_mean(g * span + day, share)
    return {
        "IDR": per_game_mean(d_units // span, d_share, len(games)),
        "IDR_slope": slope(d_units // span, d_units % span, d_share, len(games)),
    }


def tns(beliefs: pd.DataFrame, games: pd.DataFrame) -> PerGame:
    """1 − mean |Δ trust| between an observer's consecutive reports on a target, per day, over days."""
    key = factor(beliefs["game_id"], beliefs["observer"], beliefs["target"])
    order = np.argsort(key, kind="stable")
    same = key[order][1:] == key[order][:-1]
    p = beliefs["p_traitor"].to_numpy(dtype=float)[order]
    delta = np.abs(np.diff(p))[same]
    rows = order[1:][same]
    g, day = game_codes(beliefs, games)[rows], beliefs["day"].to_numpy()[rows]
    value, n = daily_share(g, day, delta, len(games))
    return 1.0 - value, n


def paper_metrics(
    frames: dict[str, pd.DataFrame], statuses: Sequence[str] = OUTCOME_STATUSES
) -> dict[str, PerGame]:
    """All paper metrics per game, keyed by metric name (survival only for games whose status is in
    ``statuses``). Every vote and belief row of ``frames`` counts: :func:`metrics.compute_metrics` passes
    frames without the fallbacks' decisions by default."""
    games, votes, players, beliefs = frames["games"], frames["votes"], frames["players"], frames["beliefs"]
    b = first_ballot(votes)
    out = {
        "FCR": fcr(b, games),
        "FAS": _agreement(b[b["voter_role"] == "faithful"], games),
        "TAS": _agreement(b[b["voter_role"] == "traitor"], games),
        "night_consensus": _agreement(first_ballot(votes, "murder"), games),
        **survival(players, games, statuses),
        "DES": des(b, players, games),
        **idr(beliefs, games),
        "BRR": brr(b, votes, players, games),
        "VSF": vsf(b, players, games),
        "TNS": tns(beliefs, games),
    }
    return out
