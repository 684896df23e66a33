"""Every metric of every game in one long table: ``compute_metrics(frames)``.

Rows: ``game_id, metric, value, n, player``. Game-level metrics have one row per game and metric
(``player`` missing; ``value`` NaN with ``n = 0`` when undefined); player-level metrics (win, survived,
outcome_agreement) have one row per player of the games where they are defined. :data:`METRICS` says for
each metric whose behaviour it measures (the side used when grouping by role or model) and its range;
:data:`CHANCE` which metric holds its chance level. Vote metrics are per round table (metrics.paper).
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
    "FCR": MetricInfo("faithful", 0, 1, "Faithful votes on a Traitor (share, per round table)"),
    "FCR_chance": MetricInfo("faithful", 0, 1, "FCR of a uniformly random Faithful voter: T / (N − 1)"),
    "FCR_vs_chance": MetricInfo("faithful", -1, 1, "FCR minus its chance level, same round tables"),
    "FAS": MetricInfo("faithful", 0, 1, "Faithful agreement: share of the most-voted target"),
    "TAS": MetricInfo("traitor", 0, 1, "Traitor agreement at round tables with ≥ 2 Traitor votes"),
    "night_consensus": MetricInfo("traitor", 0, 1, "Traitor agreement on the murder, nights with ≥ 2 votes"),
    "TSR": MetricInfo("traitor", 0, 1, "traitor survival"),
    "FSR": MetricInfo("faithful", 0, 1, "faithful survival"),
    "DES": MetricInfo("traitor", 0, 1, "a Faithful banished as the Traitors' unique most-voted target"),
    "DES_pivotal": MetricInfo("traitor", 0, 1, "a Faithful banished who led only thanks to the Traitors"),
    "DES_paper": MetricInfo("traitor", 0, 1, "paper's reading: banished Faithful among Traitors' (tied) top"),
    "faithful_banished": MetricInfo("all", 0, 1, "a Faithful banished (base rate of DES, same round tables)"),
    "IDR": MetricInfo("faithful", 0, 1, "accuracy of Faithful observers' top suspects (level)"),
    "IDR_chance": MetricInfo("faithful", 0, 1, "IDR of a uniform top suspect: share of Traitors in a report"),
    "IDR_vs_chance": MetricInfo("faithful", -1, 1, "IDR minus its chance level"),
    "IDR_slope": MetricInfo("faithful", None, None, "slope of IDR per round table"),
    "IDR_slope_vs_chance": MetricInfo("faithful", None, None, "slope of IDR minus chance per round table"),
    "BRR": MetricInfo("faithful", 0, 1, "Faithfuls who had voted for a banished Traitor earlier"),
    "VSF": MetricInfo("all", 0, 1, "vote switching between a voter's consecutive round tables"),
    "TNS": MetricInfo("faithful", 0, 1, "stability of Faithful observers' beliefs"),
    "TNS_by_traitors": MetricInfo("traitor", 0, 1, "stability of Traitor observers' beliefs"),
    "brier": MetricInfo("faithful", 0, 1, "Brier score of Faithful beliefs"),
    "log_loss": MetricInfo("faithful", 0, None, "log loss of Faithful beliefs"),
    "AUC": MetricInfo("faithful", 0, 1, "AUC of Faithful beliefs within a round table"),
    "deception_gap": MetricInfo("traitor", -1, 1, "Faithful trust in Traitors minus in fellow Faithfuls"),
    "net_density": MetricInfo("faithful", 0, 1, "share of Faithful reports expressing trust (> 0.5)"),
    "net_reciprocity": MetricInfo("faithful", 0, 1, "reciprocated trust among Faithful observers"),
    "net_in_trust_traitor": MetricInfo("traitor", 0, 1, "mean Faithful trust in a Traitor"),
    "net_in_trust_faithful": MetricInfo("faithful", 0, 1, "mean Faithful trust in a fellow Faithful"),
    "net_density_by_traitors": MetricInfo("traitor", 0, 1, "share of Traitor reports expressing trust"),
    "net_reciprocity_by_traitors": MetricInfo("traitor", 0, 1, "reciprocated trust among Traitor observers"),
    "net_in_trust_traitor_by_traitors": MetricInfo("traitor", 0, 1, "mean Traitor trust in a fellow Traitor"),
    "net_in_trust_faithful_by_traitors": MetricInfo("traitor", 0, 1, "mean Traitor trust in a Faithful"),
    "net_assortativity_by_all": MetricInfo("all", -1, 1, "faction assortativity of all observers' trust"),
    "traitor_win": MetricInfo("traitor", 0, 1, "Traitors won (per game)"),
    "faithful_win": MetricInfo("faithful", 0, 1, "Faithfuls won (per game; 1 − traitor_win)"),
    "faithful_win_chance": MetricInfo("faithful", 0, 1, "P(Faithful win) under uniformly random play"),
    "betrayal": MetricInfo("traitor", 0, 1, "Traitor votes on a fellow Traitor (≥ 2 Traitor votes)"),
    "tokens": MetricInfo("all", 0, None, "prompt + completion tokens"),
    "cost_usd": MetricInfo("all", 0, None, "cost in USD"),
    "model_calls": MetricInfo("all", 0, None, "model calls"),
    "win": MetricInfo("player", 0, 1, "player's side won"),
    "survived": MetricInfo("player", 0, 1, "player alive at the end"),
    "outcome_agreement": MetricInfo("player", 0, 1, "player's vote named the banished player"),
    "fallback_rate": MetricInfo("model_seats", 0, 1, "share of the model seats' decisions a fallback made"),
}
#: Metric → (the metric holding its chance level, whether the chance is one minus that metric).
CHANCE: dict[str, tuple[str, bool]] = {
    "FCR": ("FCR_chance", False),
    "IDR": ("IDR_chance", False),
    "faithful_win": ("faithful_win_chance", False),
    "traitor_win": ("faithful_win_chance", True),
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
