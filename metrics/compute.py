"""Every metric of every game in one long table: ``compute_metrics(frames)``.

Rows: ``game_id, metric, value, n, player``. Game-level metrics have one row per game and metric
(``player`` missing; ``value`` NaN with ``n = 0`` when undefined); player-level metrics (win, survived,
influence) have one row per player of the games where they are defined. :data:`METRICS` says for each
metric whose behaviour it measures (the side used when grouping by role or model) and its range.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from metrics.beliefs import belief_metrics
from metrics.network import network_metrics
from metrics.outcomes import game_outcomes, player_outcomes
from metrics.paper import paper_metrics
from metrics.tidy import long_rows

COLUMNS = ["game_id", "metric", "value", "n", "player"]


@dataclass(frozen=True)
class MetricInfo:
    """What a metric measures: ``subject`` is the side whose behaviour it scores (faithful, traitor, all,
    or player for per-player rows); ``low``/``high`` bound its values (None = unbounded)."""

    subject: str
    low: float | None
    high: float | None
    label: str


METRICS: dict[str, MetricInfo] = {
    "FCR": MetricInfo("faithful", 0, 1, "faithful correctness"),
    "FAS": MetricInfo("faithful", 0, 1, "faithful agreement"),
    "TAS": MetricInfo("traitor", 0, 1, "traitor agreement (round table)"),
    "night_consensus": MetricInfo("traitor", 0, 1, "traitor agreement (night murder vote)"),
    "TSR": MetricInfo("traitor", 0, 1, "traitor survival"),
    "FSR": MetricInfo("faithful", 0, 1, "faithful survival"),
    "DES": MetricInfo("traitor", 0, 1, "deception effectiveness"),
    "IDR": MetricInfo("faithful", 0, 1, "information diffusion"),
    "IDR_slope": MetricInfo("faithful", -1, 1, "information diffusion, slope per day"),
    "BRR": MetricInfo("faithful", 0, 1, "early recognition of banished Traitors"),
    "VSF": MetricInfo("all", 0, 1, "vote switching"),
    "TNS": MetricInfo("all", 0, 1, "trust stability"),
    "brier": MetricInfo("faithful", 0, 1, "Brier score of Faithful beliefs"),
    "log_loss": MetricInfo("faithful", 0, None, "log loss of Faithful beliefs"),
    "AUC": MetricInfo("faithful", 0, 1, "AUC of Faithful beliefs"),
    "deception": MetricInfo("traitor", 0, 1, "mean Faithful trust in Traitors"),
    "net_density": MetricInfo("all", 0, 1, "trust-network density (trust > 0.5)"),
    "net_reciprocity": MetricInfo("all", 0, 1, "trust-network reciprocity"),
    "net_assortativity": MetricInfo("all", -1, 1, "trust-network faction assortativity"),
    "net_in_trust_traitor": MetricInfo("traitor", 0, 1, "in-trust centrality of Traitors"),
    "net_in_trust_faithful": MetricInfo("faithful", 0, 1, "in-trust centrality of Faithfuls"),
    "traitor_win": MetricInfo("traitor", 0, 1, "Traitors won"),
    "betrayal": MetricInfo("traitor", 0, 1, "Traitor votes against a fellow Traitor"),
    "tokens": MetricInfo("all", 0, None, "prompt + completion tokens"),
    "cost_usd": MetricInfo("all", 0, None, "cost in USD"),
    "model_calls": MetricInfo("all", 0, None, "model calls"),
    "win": MetricInfo("player", 0, 1, "player's side won"),
    "survived": MetricInfo("player", 0, 1, "player alive at the end"),
    "influence": MetricInfo("player", 0, 1, "player's vote equals the banishment"),
}


def compute_metrics(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """All metrics of all games in ``frames`` (from :func:`metrics.load_frames` or read back from an
    export) as long rows: game_id, metric, value, n, player."""
    games = frames["games"].reset_index(drop=True)
    frames = {**frames, "games": games}
    per_game = {
        **paper_metrics(frames),
        **belief_metrics(frames),
        **network_metrics(frames),
        **game_outcomes(frames),
    }
    table = pd.concat([long_rows(games, per_game), player_outcomes(frames)], ignore_index=True)
    table = table[COLUMNS]
    table["value"] = table["value"].astype(float)
    table["n"] = table["n"].astype("int64")
    table["player"] = table["player"].astype("str")  # missing for game-level rows
    return table
