"""Round tables: the unit of every vote-based metric.

A round table is one first banishment ballot and what follows it (a revote, the banishment, an endgame
vote). Its number in the game (1, 2, …) is the engine's: the count of first banishment ballots so far plus
one (``GameState.rounds``, docs/reproducibility.md), so the endgame's several round tables on one day get
distinct numbers. It is read off the votes alone, which also works for imported logs without
``VoteResult`` events (the human baseline): the VoteCasts of one ballot are consecutive in the log, so a
round table starts at a first-ballot banish vote whose previous vote in the game is not a first-ballot
banish vote of the same day.

- ``votes.round``: the round table of a banish or endgame vote (missing for night votes);
- ``beliefs.round``: the round table at which the report was made (reports precede that table's votes);
- the ``rounds`` table: one row per round table (:func:`rounds_table`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from metrics.payloads import codes

OUTCOMES = ("decided", "revote", "tie_broken", "no_banishment", "unrecorded")


class RoundIndex:
    """Where each round table starts: (game code, seq) of its first first-ballot banish vote."""

    def __init__(self, game: np.ndarray, seq: np.ndarray, day: np.ndarray, number: np.ndarray, span: int):
        self.game, self.seq, self.day, self.number, self.span = game, seq, day, number, span
        self.key = game.astype(np.int64) * span + seq

    def before(self, game: np.ndarray, seq: np.ndarray, inclusive: bool = False) -> np.ndarray:
        """Number of the last round table of the same game starting before ``seq`` (at or before, with
        ``inclusive``); 0 when none has."""
        if len(self.key) == 0:
            return np.zeros(len(game), dtype=np.int64)
        key = game.astype(np.int64) * self.span + np.asarray(seq, dtype=np.int64)
        pos = np.searchsorted(self.key, key, side="right" if inclusive else "left") - 1
        safe = np.maximum(pos, 0)
        same = (pos >= 0) & (self.game[safe] == game)
        return np.where(same, self.number[safe], 0).astype(np.int64)


def index_votes(votes: pd.DataFrame, games: pd.Index, span: int) -> tuple[RoundIndex, np.ndarray]:
    """The round tables of ``votes`` (ordered by game, then seq) and each vote's round table (0 for night
    votes). ``span`` must exceed every seq."""
    if votes.empty:
        empty = np.zeros(0, dtype=np.int64)
        return RoundIndex(empty, empty, empty, empty, span), empty
    g = codes(votes["game_id"], games).astype(np.int64)
    seq = votes["seq"].to_numpy(dtype=np.int64)
    day = votes["day"].to_numpy(dtype=np.int64)
    first = (votes["kind"] == "banish").to_numpy() & (votes["ballot"].to_numpy() == 1)
    same_run = np.zeros(len(votes), dtype=bool)
    same_run[1:] = (g[1:] == g[:-1]) & first[:-1] & (day[1:] == day[:-1])
    start = first & ~same_run
    count = np.cumsum(start)
    new_game = np.ones(len(votes), dtype=bool)
    new_game[1:] = g[1:] != g[:-1]
    base = np.maximum.accumulate(np.where(new_game, count - start, 0))  # starts before the game's first row
    number = count - base
    at_table = (votes["kind"].isin(["banish", "endgame"])).to_numpy()
    index = RoundIndex(g[start], seq[start], day[start], number[start], span)
    return index, np.where(at_table, number, 0)


def rounds_table(
    votes: pd.DataFrame,
    index: RoundIndex,
    results: pd.DataFrame,
    banished: pd.DataFrame,
    games: pd.Index,
    roles_at: Callable[[pd.Series, pd.Series, np.ndarray], pd.Categorical],
) -> pd.DataFrame:
    """One row per round table: game_id, round, day, players and traitors (its first-ballot voters, and
    how many of them were Traitors), ballots (banish ballots held), outcome (:data:`OUTCOMES`: decided on
    the first ballot, on the revote, by the seeded tie-break, no banishment, or ``unrecorded`` when the log
    has no ``VoteResult``), banished and banished_role (role at the banishment), endgame (the endgame
    vote's result, ``end`` or ``banish_again``; missing without one). ``roles_at(game_ids, players, seq)``
    gives roles at a seq."""
    k = len(index.key)
    names = games.astype(str)
    table = pd.DataFrame(
        {
            "game_id": pd.Categorical.from_codes(index.game, categories=names) if k else pd.Categorical([]),
            "round": index.number,
            "day": index.day,
        }
    )
    if k == 0:
        return table
    g = codes(votes["game_id"], games).astype(np.int64)
    number = votes["round"].to_numpy(dtype=np.int64)
    banish = (votes["kind"] == "banish").to_numpy() & (number > 0)
    first = banish & (votes["ballot"].to_numpy() == 1)
    where = _lookup(index, g, number)
    banish &= where >= 0
    first &= where >= 0
    table["players"] = np.bincount(where[first], minlength=k)
    traitor = first & (votes["voter_role"] == "traitor").to_numpy()
    table["traitors"] = np.bincount(where[traitor], minlength=k)
    ballots = np.zeros(k, dtype=np.int64)
    np.maximum.at(ballots, where[banish], votes["ballot"].to_numpy(dtype=np.int64)[banish])
    table["ballots"] = ballots

    outcome = np.full(k, "unrecorded", dtype=object)
    endgame = np.full(k, None, dtype=object)
    if len(results):
        rg = codes(results["game_id"], games).astype(np.int64)
        rnum = index.before(rg, results["seq"].to_numpy(dtype=np.int64))
        at = _lookup(index, rg, rnum)
        kind = results["kind"].to_numpy(dtype=object)
        ballot = results["ballot"].to_numpy(dtype=np.int64)
        result = results["outcome"].to_numpy(dtype=object)
        target = results["target"].to_numpy(dtype=object)
        ok = at >= 0
        first_ballot = ok & (kind == "banish") & (ballot == 1) & (result == "decided")
        outcome[at[first_ballot]] = "decided"
        revote = ok & (kind == "banish") & (ballot == 2)
        second = np.where(
            result == "decided", "revote", np.where(result == "tie_broken", "tie_broken", "no_banishment")
        )
        outcome[at[revote]] = second[revote]
        final = ok & (kind == "endgame")
        endgame[at[final]] = target[final]
    table["outcome"] = pd.Categorical(outcome, categories=OUTCOMES)
    out = np.full(k, None, dtype=object)
    if len(banished):
        bg = codes(banished["game_id"], games).astype(np.int64)
        at = _lookup(index, bg, index.before(bg, banished["seq"].to_numpy(dtype=np.int64)))
        ok = at >= 0
        out[at[ok]] = banished["player"].to_numpy(dtype=object)[ok]
        seq_at = np.zeros(k, dtype=np.int64)
        seq_at[at[ok]] = banished["seq"].to_numpy(dtype=np.int64)[ok]
    else:
        seq_at = np.zeros(k, dtype=np.int64)
    table["banished"] = pd.Series(out, dtype=object).astype("category")
    table["banished_role"] = roles_at(table["game_id"], table["banished"], seq_at)
    table["endgame"] = pd.Series(endgame, dtype=object).astype("category")
    return table


def _lookup(index: RoundIndex, g: np.ndarray, number: np.ndarray) -> np.ndarray:
    """Row of (game code, round number) in the rounds table (-1 when none)."""
    span_r = int(index.number.max()) + 1 if len(index.number) else 1
    keys = index.game * span_r + index.number
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    want = g.astype(np.int64) * span_r + number
    pos = np.searchsorted(sorted_keys, want)
    safe = np.minimum(pos, len(sorted_keys) - 1)
    found = (pos < len(sorted_keys)) & (sorted_keys[safe] == want) & (number > 0)
    return np.where(found, order[safe], -1)
