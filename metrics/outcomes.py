"""Outcomes beyond the paper: wins, survival and agreement with the banishment per player; Traitor
betrayal, each side's win (per game: the two sum to one), its chance level, and tokens and cost per game.

Player-level rows carry the player's name; their role (for grouping) is the side they ended on, so a
recruited Faithful wins or loses with the Traitors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from metrics.paper import first_ballot, rounds_of
from metrics.provenance import OUTCOME_STATUSES
from metrics.tidy import ROUND_SPAN, PerGame, game_codes, per_game_mean, round_units, unit_mean

SIDE = {"traitor": "traitors", "faithful": "faithful"}


def game_outcomes(
    frames: dict[str, pd.DataFrame], statuses: Sequence[str] = OUTCOME_STATUSES
) -> dict[str, PerGame]:
    """traitor_win and faithful_win (games with a winner whose status is in ``statuses``; per game they
    sum to one), faithful_win_chance (the exact Faithful win probability of the game's rules under uniformly
    random play, on the same games), betrayal (share of the Traitors' first-ballot votes against a
    then-Traitor, per round table where at least two Traitors cast a valid vote), tokens, cost_usd and
    model_calls per game (NaN, n = 0 without recorded model calls)."""
    games, votes, calls = frames["games"], frames["votes"], frames["model_calls"]
    finished = games["winner"].notna().to_numpy() & games["status"].isin(list(statuses)).to_numpy()
    win = np.where(finished, games["winner"].eq("traitors").to_numpy(dtype=float), np.nan)
    chance = (
        games["chance_faithful_win"].to_numpy(dtype=float)
        if "chance_faithful_win" in games.columns
        else np.full(len(games), np.nan)
    )
    chance = np.where(finished, chance, np.nan)
    b = first_ballot(votes)
    t = b[b["voter_role"] == "traitor"]
    unit = round_units(t, games)
    units, share = unit_mean(unit, (t["target_role"] == "traitor").to_numpy())
    two = np.unique(unit, return_counts=True)[1] >= 2 if len(unit) else np.zeros(0, dtype=bool)
    g_b = units[two] // ROUND_SPAN
    betrayal = per_game_mean(g_b, share[two], len(games))
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
        "faithful_win": (1.0 - win, finished.astype(np.int64)),
        "faithful_win_chance": (chance, np.isfinite(chance).astype(np.int64)),
        "betrayal": betrayal,
        "tokens": total(tokens),
        "cost_usd": total(cost),
        "model_calls": (np.where(n_calls > 0, n_calls, np.nan), n_calls),
    }


def player_outcomes(
    frames: dict[str, pd.DataFrame], statuses: Sequence[str] = OUTCOME_STATUSES
) -> pd.DataFrame:
    """Long player-level rows (game_id, metric, value, n, player): win and survived (games with a winner
    whose status is in ``statuses``, default finished) and outcome_agreement (share of the player's valid
    first-ballot votes, at round tables with a banishment, that named the banished player; n = those
    votes)."""
    games, players = frames["games"], frames["players"]
    result = games.set_index("game_id")["winner"]
    done = games.loc[games["status"].isin(list(statuses)) & games["winner"].notna(), "game_id"]
    p = players[players["game_id"].isin(done)]
    side = p["final_role"].astype(object).map(SIDE)
    won = (side.to_numpy() == result.reindex(p["game_id"]).to_numpy()).astype(float)
    rows = [_rows(p, "win", won, 1), _rows(p, "survived", p["alive_at_end"].to_numpy(dtype=float), 1)]
    b = first_ballot(frames["votes"])
    rounds = rounds_of(frames)
    out = rounds.loc[rounds["banished"].notna(), ["game_id", "round", "banished"]]
    out = out.astype({"game_id": object, "banished": object, "round": "int64"})
    votes = b[["game_id", "round", "voter", "target"]].astype(
        {"game_id": object, "voter": object, "target": object, "round": "int64"}
    )
    votes = votes.merge(out, on=["game_id", "round"])  # round tables with a banishment
    votes["hit"] = (votes["target"] == votes["banished"]).astype(float)
    agree = votes.groupby(["game_id", "voter"], sort=False)["hit"].agg(["mean", "size"]).reset_index()
    agree = agree.rename(columns={"voter": "player"})
    rows.append(_rows(agree, "outcome_agreement", agree["mean"].to_numpy(), agree["size"].to_numpy()))
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
