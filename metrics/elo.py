"""Elo ratings per (model, role): each finished game is one match, Traitor side against Faithful side.

A side's rating is the player-weighted mean of its (model, role) entries; after the game every entry of a
side moves by K · (score − expected) · its share of the side's players. Games are taken in the order of
``frames["games"]`` (creation order), so ratings depend on that order, as Elo does.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from metrics.provenance import OUTCOME_STATUSES

BASE, K = 1500.0, 16.0


def elo_ratings(
    frames: dict[str, pd.DataFrame],
    k: float = K,
    base: float = BASE,
    statuses: Sequence[str] = OUTCOME_STATUSES,
) -> pd.DataFrame:
    """Ratings after all games with a winner whose status is in ``statuses`` (default: finished, so
    degraded games are left out): model, role, rating, games, wins (sorted by rating)."""
    games, players = frames["games"], frames["players"]
    done = games[games["status"].isin(list(statuses)) & games["winner"].notna()]
    p = players[players["game_id"].isin(done["game_id"])]
    counts = (
        p.assign(role=p["final_role"].astype(object), model=p["model"].astype(object))
        .groupby(["game_id", "role", "model"], sort=False)
        .size()
    )
    teams: dict[str, dict[str, dict[str, int]]] = {}
    for (game_id, role, model), size in counts.items():
        teams.setdefault(game_id, {}).setdefault(role, {})[model] = int(size)
    rating: dict[tuple[str, str], float] = {}
    played: dict[tuple[str, str], int] = {}
    wins: dict[tuple[str, str], int] = {}
    for game_id, winner in zip(done["game_id"], done["winner"], strict=True):
        sides = teams.get(game_id, {})
        if set(sides) != {"traitor", "faithful"}:
            continue
        strength = {
            role: sum(rating.get((m, role), base) * c for m, c in team.items()) / sum(team.values())
            for role, team in sides.items()
        }
        expected_t = 1.0 / (1.0 + 10 ** ((strength["faithful"] - strength["traitor"]) / 400.0))
        score_t = 1.0 if winner == "traitors" else 0.0
        for role, team in sides.items():
            delta = (score_t - expected_t) if role == "traitor" else (expected_t - score_t)
            won = (score_t == 1.0) == (role == "traitor")
            for model, c in team.items():
                key = (model, role)
                rating[key] = rating.get(key, base) + k * delta * c / sum(team.values())
                played[key] = played.get(key, 0) + 1
                wins[key] = wins.get(key, 0) + int(won)
    rows = [
        {"model": m, "role": r, "rating": v, "games": played[(m, r)], "wins": wins[(m, r)]}
        for (m, r), v in rating.items()
    ]
    table = pd.DataFrame(rows, columns=["model", "role", "rating", "games", "wins"])
    return table.sort_values(["rating", "model", "role"], ascending=[False, True, True]).reset_index(
        drop=True
    )
