"""Every metric of every game in one long table: ``compute_metrics(frames)``.

Rows: ``game_id, metric, value, n, player``. Game-level metrics have one row per game and metric
(``player`` missing; ``value`` NaN with ``n = 0`` when undefined); player-level metrics (win, survived,
influence) have one row per player of the games where they are defined. :data:`METRICS` says for each
metric whose behaviour it measures (the side used when grouping by role or model) and its range.
Fallbacks' decisions and degraded games' outcomes are left out by default (metrics.provenance).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from metrics.beliefs import belief_metrics
from metrics.network import network_metrics
from metrics.outcomes import game_outcomes, player_outcomes
from metrics.paper import paper_metrics
from metrics.provenance import degraded_games, fallback_metrics, outcome_statuses, without_fallbacks
from metrics.tidy import long_rows

COLUMNS = ["game_id", "metric", "value", "n", "player"]


@dataclass(frozen=True)
class MetricInfo:
    """What a metric measures: ``subject`` is the side whose behaviour it scores (faithful, traitor, all,
    model_seats — the seats played by a model, every seat when none is — or player for per-player rows);
    ``low``/``high`` bound its values (None = unbounded)."""

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
    "fallback_rate": MetricInfo("model_seats", 0, 1, "share of the model seats' decisions a fallback made"),
}
#: Attribute of the long table (``table.attrs``): ids of the degraded games whose outcomes were left out.
DEGRADED_LEFT_OUT = "degraded_left_out"


def compute_metrics(frames: dict[str, pd.DataFrame], fallbacks: bool = False) -> pd.DataFrame:
    """All metrics of all games in ``frames`` (from :func:`metrics.load_frames` or read back from an
    export) as long rows: game_id, metric, value, n, player.

    By default only what the seats decided counts: decisions with ``decided_by == "fallback"`` are left
    out of every decision-based metric (:func:`metrics.provenance.without_fallbacks`) and degraded games out
    of the outcomes (TSR, FSR, traitor_win, win, survived); ``fallbacks=True`` counts both. The ids of the
    degraded games left out are in ``table.attrs["degraded_left_out"]``. ``fallback_rate`` always counts
    every decision."""
    games = frames["games"].reset_index(drop=True)
    frames = {**frames, "games": games}
    scored = frames if fallbacks else without_fallbacks(frames)
    statuses = outcome_statuses(fallbacks)
    per_game = {
        **paper_metrics(scored, statuses),
        **belief_metrics(scored),
        **network_metrics(scored),
        **game_outcomes(scored, statuses),
        **fallback_metrics(frames),
    }
    table = pd.concat([long_rows(games, per_game), player_outcomes(scored, statuses)], ignore_index=True)
    table = table[COLUMNS]
    table["value"] = table["value"].astype(float)
    table["n"] = table["n"].astype("int64")
    table["player"] = table["player"].astype("str")  # missing for game-level rows
    table.attrs[DEGRADED_LEFT_OUT] = [] if fallbacks else degraded_games(games)
    return table
