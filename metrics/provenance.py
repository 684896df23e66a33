"""Who made each decision, in the frames: the ``decided_by`` columns, the seats' fallback counts and rates,
and what the metrics leave out by default (docs/metrics.md, "Provenance: decided_by and fallback_rate").

By default a metric counts only what the seat decided itself (``decided_by`` other than ``"fallback"``): a
fallback vote is treated as an invalid one (the voter was there, the vote is not counted) and a fallback
belief report or statement is dropped. Outcomes (TSR, FSR, traitor_win, win, survived, Elo) count only
``finished`` games, so games that ended ``degraded`` (a fallback made more than 10% of the model seats'
decisions, ``traitors.runner``) are left out; ``fallbacks=True`` counts both.

The "model seats" rule is the runner's (``traitors.runner.fallback_report``): a seat whose agent spec names a
model (:func:`traitors.provenance.is_model_spec`, the one rule every package shares); every seat when no seat
of the game is a model.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from metrics.tidy import PerGame, game_codes
from traitors.provenance import is_model_spec

#: The ``decided_by`` value of a decision the seat did not make (an LLM agent's heuristic fallback chose,
#: or the engine abstained). Every other value (agent, model, retry, human) is the seat's own play.
FALLBACK = "fallback"
#: Game statuses whose outcomes count by default, and with ``fallbacks=True``.
OUTCOME_STATUSES: tuple[str, ...] = ("finished",)
WITH_DEGRADED: tuple[str, ...] = ("finished", "degraded")
#: The decision tables: table → its column naming the deciding seat.
DECISION_TABLES = {"votes": "voter", "statements": "speaker", "beliefs": "observer"}


def outcome_statuses(fallbacks: bool = False) -> tuple[str, ...]:
    """The game statuses whose outcomes count: ``finished``, plus ``degraded`` with ``fallbacks``."""
    return WITH_DEGRADED if fallbacks else OUTCOME_STATUSES


def is_fallback(frame: pd.DataFrame) -> np.ndarray:
    """Per row: whether a fallback made it (False where the frame has no ``decided_by``)."""
    if "decided_by" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return (frame["decided_by"] == FALLBACK).to_numpy(dtype=bool)


def model_seats(players: pd.DataFrame) -> np.ndarray:
    """Per player row: whether the seat counts for its game's fallback rate (a model seat, or any seat of a
    game without one)."""
    if players.empty:
        return np.zeros(0, dtype=bool)
    found, specs = pd.factorize(players["model"].astype(object))
    model = np.array([is_model_spec(x) for x in specs] + [False], dtype=bool)[found]  # -1: missing
    game = pd.factorize(players["game_id"])[0]
    has_model = np.bincount(game, weights=model, minlength=int(game.max()) + 1) > 0
    return model | ~has_model[game]


def game_fallbacks(players: pd.DataFrame, games: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per game of ``games``: (decisions, fallbacks) of its model seats (:func:`model_seats`), from the
    players' ``decisions`` and ``fallbacks`` counts."""
    n = len(games)
    if players.empty or "decisions" not in players.columns:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    g = game_codes(players, games)
    keep = model_seats(players) & (g >= 0)
    made = pd.to_numeric(players["decisions"], errors="coerce").fillna(0).to_numpy(dtype=float)
    fell = pd.to_numeric(players["fallbacks"], errors="coerce").fillna(0).to_numpy(dtype=float)
    decisions = np.bincount(g[keep], weights=made[keep], minlength=n).astype(np.int64)
    fallbacks = np.bincount(g[keep], weights=fell[keep], minlength=n).astype(np.int64)
    return decisions, fallbacks


def rate(fallbacks: np.ndarray, decisions: np.ndarray) -> np.ndarray:
    """``fallbacks / decisions``, NaN where there was no decision."""
    decisions = np.asarray(decisions, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(decisions > 0, np.asarray(fallbacks, dtype=float) / np.maximum(decisions, 1), np.nan)


def fallback_metrics(frames: Mapping[str, pd.DataFrame]) -> dict[str, PerGame]:
    """``fallback_rate`` per game: the share of the model seats' decisions a fallback made (n = those
    decisions; NaN with n = 0 when there were none)."""
    decisions, fallbacks = game_fallbacks(frames["players"], frames["games"])
    return {"fallback_rate": (rate(fallbacks, decisions), decisions)}


def without_fallbacks(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """``frames`` as the metrics score them by default: fallback votes made invalid (not counted, the voter
    still present), fallback belief reports and statements dropped. Other tables are unchanged."""
    out = dict(frames)
    votes = frames["votes"]
    fell = is_fallback(votes)
    if fell.any():
        out["votes"] = votes.assign(valid=votes["valid"].to_numpy(dtype=bool) & ~fell)
    for name in ("statements", "beliefs"):
        fell = is_fallback(frames[name])
        if fell.any():
            out[name] = frames[name][~fell].reset_index(drop=True)
    return out


def degraded_games(games: pd.DataFrame) -> list[str]:
    """Ids of the games that ended ``degraded``."""
    return games.loc[games["status"].eq("degraded"), "game_id"].astype(str).tolist()
