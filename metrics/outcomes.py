"""Outcomes beyond the paper: wins, survival and influence per player; Traitor betrayal, the Traitors'
win and tokens and cost per game.

Player-level rows carry the player's name; their role (for grouping) is the side they ended on, so a
recruited Faithful wins or loses with the Traitors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from metrics.paper import first_ballot
from metrics.provenance import OUTCOME_STATUSES
from metrics.tidy import PerGame, daily_share, game_codes

SIDE = {"traitor": "traitors", "faithful": "faithful"}


def game_outcomes(
    frames: dict[str, pd.DataFrame], statuses: Sequence[str] = OUTCOME_STATUSES
) -> dict[str, PerGame]:
    """traitor_win (games with a winner whose status is in ``statuses``), betrayal (share of Traitors'
    first-ballot votes against a fellow Traitor, per day), tokens, cost_usd and model_calls per game (NaN,
    n = 0 without recorded model calls)."""
    games, votes, calls = frames["games"], frames["votes"], frames["model_calls"]
    finished = games["winner"].notna().to_numpy() & games["status"].isin(list(statuses)).to_numpy()
    win = np.where(finished, games["winner"].eq("traitors").to_numpy(dtype=float), np.nan)
    b = first_ballot(votes)
    t = b[b["voter_role"] == "traitor"]
    betrayal = daily_share(
        game_codes(t, games), t["day"].to_numpy(), (t["target_role"] == "traitor").to_numpy(), len(games)
    )
    g = game_codes(calls, games)
    n_calls = np.bincount(g[g >= 0], minlength=len(games))
    tokens = calls["prompt_tokens"].fillna(0).to_numpy(dtype=float) + calls["completion_tokens"].fillna(
        0
    ).to_numpy(dtype=float)
    cost = pd.to_numeric(calls["cost_usd"]).to_numpy(dtype=float)  # NaN (unknown) makes its game's NaN

    def total(x: np.ndarray) -> PerGame:
        s = np.bincount(g[g >= 0], weights=x[g >= 0], minlength=len(games))
        return np.where(n_calls > 0, s, np.nan), n_calls

    return {
        "traitor_win": (win, finished.astype(np.int64)),
        "betrayal": betrayal,
        "tokens": total(tokens),
        "cost_usd": total(cost),
        "model_calls": (np.where(n_calls > 0, n_calls, np.nan), n_calls),
    }


def player_outcomes(
    frames: dict[str, pd.DataFrame], statuses: Sequence[str] = OUTCOME_STATUSES
) -> pd.DataFrame:
    """Long player-level rows (game_id, metric, value, n, player): win and survived (games with a winner
    whose status is in ``statuses``, default finished) and influence (share of the player's valid
    first-ballot votes, on days with a banishment, for the banished player)."""
    games, players = frames["games"], frames["players"]
    result = games.set_index("game_id")["winner"]
    done = games.loc[games["status"].isin(list(statuses)) & games["winner"].notna(), "game_id"]
    p = players[players["game_id"].isin(done)]
    side = p["final_role"].astype(object).map(SIDE)
    won = (side.to_numpy() == result.reindex(p["game_id"]).to_numpy()).astype(float)
    rows = [_rows(p, "win", won, 1), _rows(p, "survived", p["alive_at_end"].to_numpy(dtype=float), 1)]
    b = first_ballot(frames["votes"])
    gone = players.loc[players["elimination"] == "banished", ["game_id", "eliminated_day", "player"]]
    gone = gone.astype({"game_id": object, "player": object, "eliminated_day": "int64"})
    gone = gone.rename(columns={"eliminated_day": "day", "player": "target"})
    votes = b[["game_id", "day", "voter", "target"]].astype(
        {"game_id": object, "voter": object, "target": object}
    )
    day_votes = votes.merge(gone[["game_id", "day"]].drop_duplicates(), on=["game_id", "day"])  # a banishment
    day_votes = day_votes.merge(gone.assign(hit=1.0), on=["game_id", "day", "target"], how="left")
    day_votes["hit"] = day_votes["hit"].fillna(0.0)  # the vote named (one of) the day's banished
    infl = day_votes.groupby(["game_id", "voter"], sort=False)["hit"].agg(["mean", "size"]).reset_index()
    infl = infl.rename(columns={"voter": "player"})
    rows.append(_rows(infl, "influence", infl["mean"].to_numpy(), infl["size"].to_numpy()))
    return pd.concat(rows, ignore_index=True)


def _rows(frame: pd.DataFrame, metric: str, value: np.ndarray, n: int | np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "game_id": frame["game_id"].to_numpy(dtype=object),
            "metric": metric,
            "value": np.asarray(value, dtype=float),
            "n": np.broadcast_to(n, len(frame)).astype(np.int64),
            "player": frame["player"].to_numpy(dtype=object),
        }
    )
