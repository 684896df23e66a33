"""Events in SQL → the tidy tables of DESIGN.md §4 (games, players, votes, statements, beliefs, model_calls),
plus ``decisions`` (one row per decision, with who made it) and the fallback counts and rates of players and
games (metrics.provenance).

Roles are those a player held *when* the fact happened: a Faithful recruited at night (an accepted
``RecruitAnswered``) votes, speaks and is judged as a Traitor from the next event on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
from sqlalchemy import Engine

from metrics.chance import rules_of_games
from metrics.payloads import codes, parse, parse_configs, parse_seats, stack_wide
from metrics.provenance import FALLBACK, game_fallbacks, rate
from metrics.rounds import index_votes, rounds_table
from metrics.schema import ROLES, SCHEMA, Frames, conform, empty_frames
from metrics.sql import Chunk, has_tables, plan_chunks, read_games, read_model_calls, read_ndjson
from traitors.store import Store, open_engine

_TABLE_OF = {"vote_cast": "votes", "statement": "statements", "belief_reported": "beliefs"}
_FIELDS = {  # the payload fields read per event type (model_call: whatever its fields are)
    "roles_assigned": ("game_id", "seq", "day"),
    "recruit_answered": ("game_id", "seq", "day", "phase", "player", "accepted", "decided_by"),
    "banished": ("game_id", "seq", "day", "player"),
    "vote_result": ("game_id", "seq", "day", "kind", "ballot", "outcome", "target"),
    "murdered": ("game_id", "seq", "day", "player"),
    "vote_cast": (
        "game_id",
        "seq",
        "day",
        "phase",
        "kind",
        "ballot",
        "voter",
        "target",
        "valid",
        "decided_by",
    ),
    "statement": ("game_id", "seq", "day", "phase", "turn", "channel", "speaker", "text", "decided_by"),
    "belief_reported": ("game_id", "seq", "day", "phase", "observer", "decided_by"),
    "decision_fallback": ("game_id", "seq", "day", "phase", "player", "kind", "source"),
}
#: ``decided_by`` of a decision event logged before the field existed (the events' own default).
_DEFAULT_DECIDED_BY = "agent"
#: Request kinds whose engine fallback leaves no decision event, only a ``DecisionFallback``
#: (as in ``traitors.provenance``).
_SILENT = ("speak", "belief")
_DECISION_COLUMNS = ["game_id", "seq", "day", "phase", "player", "kind", "decided_by"]
#: Larger than any seq: (game code, seq) pairs are keyed as ``code * _SEQ_SPAN + seq``.
_SEQ_SPAN = 1 << 32


@dataclass(frozen=True)
class Filters:
    """Which games to load: any of these ids, scenarios and statuses (``None`` = no restriction)."""

    game_ids: Sequence[str] | None = None
    scenario: str | Sequence[str] | None = None
    status: str | Sequence[str] | None = None


def _engine(db: Store | Engine | str | None) -> tuple[Engine, bool]:
    if isinstance(db, Store):
        return db.engine, False
    if isinstance(db, Engine):
        return db, False
    return open_engine(db), True


def _as_list(value: str | Sequence[str] | None) -> list[str] | None:
    return None if value is None else [value] if isinstance(value, str) else list(value)


class _Roles:
    """Role of (game, player) at any seq: Traitor from the start, or from an accepted recruitment on."""

    def __init__(
        self, games: pd.Index, roles: pd.DataFrame, recruits: pd.DataFrame, seats: pd.Series
    ) -> None:
        self.games = games
        names = np.concatenate([seats.to_numpy(dtype=object), roles["player"].to_numpy(dtype=object)])
        self.names = pd.Index(pd.unique(names))  # seat order of first appearance
        size = len(games) * len(self.names)
        self.traitor = np.zeros(size, dtype=bool)
        self.recruited = np.full(size, np.inf)
        key = self.key(roles["game_id"], roles["player"])
        self.traitor[key[key >= 0]] = roles["initial_role"].eq("traitor").to_numpy()[key >= 0]
        key = self.key(recruits["game_id"], recruits["player"])
        self.recruited[key[key >= 0]] = recruits["seq"].to_numpy(dtype=float)[key >= 0]

    def key(self, game_ids: pd.Series, players: pd.Series) -> np.ndarray:
        """Flat index of each (game, player), -1 when unknown."""
        g = codes(game_ids, self.games)
        p = codes(players, self.names)
        return np.where((g >= 0) & (p >= 0), g * len(self.names) + p, -1)

    def at(
        self, game_ids: pd.Series, players: pd.Series, seq: pd.Series | np.ndarray | float
    ) -> pd.Categorical:
        """'traitor' / 'faithful' for each row (missing for a non-player such as 'end' or no target)."""
        key = self.key(game_ids, players)
        safe = np.maximum(key, 0)
        traitor = self.traitor[safe] | (self.recruited[safe] < np.asarray(seq, dtype=float))
        return pd.Categorical.from_codes(np.where(key < 0, -1, traitor.astype(np.int8)), categories=ROLES)


def _events(
    engine: Engine, kind: str, ids: list[str] | None, chunks: list[Chunk], dict_fields: Sequence[str] = ()
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    categorical = [c for c, t in SCHEMA.get(_TABLE_OF.get(kind, ""), {}).items() if t == "category"]
    categorical += [c for c in ("phase", "kind", "decided_by") if c not in categorical]  # few values each
    text = read_ndjson(engine, kind, chunks)
    frame, wide = parse(text, dict_fields, categorical=categorical, fields=_FIELDS.get(kind))
    if ids is not None and len(frame):
        keep = frame["game_id"].isin(ids).to_numpy()
        frame = frame[keep].reset_index(drop=True)
        wide = {k: w[keep].reset_index(drop=True) for k, w in wide.items()}
    return frame, wide


def _filled(frame: pd.DataFrame, column: str, default: str) -> pd.DataFrame:
    """``frame`` with missing values of ``column`` (or the whole column, when absent) set to ``default``."""
    if frame.empty:
        return frame
    if column not in frame.columns:
        frame[column] = default
        return frame
    values = frame[column]
    if values.isna().any():
        if isinstance(values.dtype, pd.CategoricalDtype):
            if default not in values.cat.categories:
                values = values.cat.add_categories([default])
            frame[column] = values.fillna(default)
        else:
            frame[column] = values.astype(object).fillna(default)
    return frame


def _order(frame: pd.DataFrame, games: pd.Index) -> np.ndarray | None:
    """The permutation putting rows in games order, then seq; None when they already are."""
    g = codes(frame["game_id"], games).astype(np.int64)
    seq = frame["seq"].to_numpy(dtype=np.int64)
    key = g * (int(seq.max()) + 1) + seq
    return None if bool(np.all(key[1:] > key[:-1])) else np.argsort(key, kind="stable")


def _ordered(frame: pd.DataFrame, games: pd.Index) -> pd.DataFrame:
    """Rows in games order, then seq."""
    order = _order(frame, games) if len(frame) else None
    return frame if order is None else frame.take(order).reset_index(drop=True)


def load_frames(
    db: Store | Engine | str | None, filters: Filters | Mapping[str, object] | None = None
) -> Frames:
    """Tidy frames of the games in ``db`` (a Store, an Engine or a URL; None = ``TRAITORS_DB``/default).

    ``filters`` (a :class:`Filters` or a mapping with keys game_ids, scenario, status) restricts the games.
    Returns {table: DataFrame} for every table of DESIGN.md §4 (empty tables keep their columns)."""
    f = filters if isinstance(filters, Filters) else Filters(**dict(filters or {}))
    engine, owned = _engine(db)
    try:
        if not has_tables(engine):
            return empty_frames()
        return _load(engine, f)
    finally:
        if owned:
            engine.dispose()


def _load(engine: Engine, f: Filters) -> Frames:
    games = read_games(engine)
    everything = len(games)
    for col, wanted in (
        ("game_id", _as_list(f.game_ids)),
        ("scenario", _as_list(f.scenario)),
        ("status", _as_list(f.status)),
    ):
        if wanted is not None:
            games = games[games[col].isin(wanted)]
    ids = None if len(games) == everything else games["game_id"].tolist()
    gindex = pd.Index(games["game_id"])
    chunks = plan_chunks(games, filtered=ids is not None)

    players, lookup, answered, banished, created = _players(engine, ids, chunks, gindex)
    votes, _ = _events(engine, "vote_cast", ids, chunks)
    if len(votes):
        votes = _filled(_ordered(votes, gindex), "decided_by", _DEFAULT_DECIDED_BY)
        votes["voter_role"] = lookup.at(votes["game_id"], votes["voter"], votes["seq"])
        votes["target_role"] = lookup.at(votes["game_id"], votes["target"], votes["seq"])
    index, number = index_votes(votes, gindex, _SEQ_SPAN)
    if len(votes):
        results, _ = _events(engine, "vote_result", ids, chunks)
        rounds = rounds_table(votes.assign(round=number), index, results, banished, gindex, lookup.at)
        votes["round"] = pd.arrays.IntegerArray(number, number == 0)  # missing for night votes
    else:
        rounds = pd.DataFrame()
    statements, _ = _events(engine, "statement", ids, chunks)
    if len(statements):
        statements = _filled(_ordered(statements, gindex), "decided_by", _DEFAULT_DECIDED_BY)
        speaker = statements["speaker"]
        statements["speaker_role"] = lookup.at(statements["game_id"], speaker, statements["seq"])
    beliefs, reports = _beliefs(engine, ids, chunks, gindex, lookup)
    if len(beliefs):  # a report belongs to the round table whose votes follow it
        g = codes(beliefs["game_id"], gindex).astype(np.int64)
        beliefs["round"] = index.before(g, beliefs["seq"].to_numpy(dtype=np.int64)) + 1
    fell, _ = _events(engine, "decision_fallback", ids, chunks)
    decisions = _decisions([votes, statements, reports, answered, fell], gindex, lookup)
    players = _fallback_counts(players, decisions, lookup)
    made, fallbacks = game_fallbacks(players, games)  # the model seats' decisions (runner's rule)
    chance = rules_of_games(parse_configs(created))
    games = games.assign(
        fallback_rate=rate(fallbacks, made),
        chance_faithful_win=chance.reindex(games["game_id"].to_numpy(dtype=object)).to_numpy(dtype=float),
    )
    calls = read_model_calls(engine, list(SCHEMA["model_calls"]), ids)
    if calls.empty:  # no measurements table: the ModelCall events (tokens, attempts, outcome) still count
        calls, _ = _events(engine, "model_call", ids, chunks)
    calls = calls[calls["game_id"].isin(gindex)] if len(calls) else calls
    return {
        "games": conform(games, "games"),
        "players": conform(players, "players"),
        "votes": conform(votes, "votes"),
        "rounds": conform(rounds, "rounds"),
        "statements": conform(statements, "statements"),
        "beliefs": conform(beliefs, "beliefs"),
        "decisions": conform(decisions, "decisions"),
        "model_calls": conform(calls, "model_calls"),
    }


def _players(
    engine: Engine, ids: list[str] | None, chunks: list[Chunk], gindex: pd.Index
) -> tuple[pd.DataFrame, _Roles, pd.DataFrame, pd.DataFrame, str]:
    """The players table (seat order), the role lookup built from roles and accepted recruitments, the
    ``RecruitAnswered`` rows (decisions too), the ``Banished`` events (game_id, seq, player) and the
    ``GameCreated`` payloads (newline-delimited JSON)."""
    created = read_ndjson(engine, "game_created", chunks)
    players = parse_seats(created)
    players = players[players["game_id"].isin(gindex)]
    assigned, wide = _events(engine, "roles_assigned", ids, chunks, ("roles",))
    roles = (
        stack_wide(assigned[["game_id"]], wide["roles"], "player", "initial_role")
        if len(assigned)
        else pd.DataFrame(columns=["game_id", "player", "initial_role"])
    )
    answered, _ = _events(engine, "recruit_answered", ids, chunks)
    recruits = (
        answered[answered["accepted"].astype(bool)]
        if len(answered)
        else pd.DataFrame(columns=["game_id", "player", "seq"])
    )
    lookup = _Roles(gindex, roles, recruits, players["player"])

    players = players.merge(roles, on=["game_id", "player"], how="left")
    key = lookup.key(players["game_id"], players["player"])
    recruited = (key >= 0) & np.isfinite(lookup.recruited[np.maximum(key, 0)])
    players["final_role"] = np.where(
        players["initial_role"].eq("traitor").to_numpy() | recruited, *ROLES[::-1]
    )
    gone = [_events(engine, k, ids, chunks)[0].assign(elimination=k) for k in ("banished", "murdered")]
    banished = (
        gone[0][["game_id", "seq", "player"]]
        if len(gone[0])
        else pd.DataFrame(columns=["game_id", "seq", "player"])
    )
    gone = [g[["game_id", "player", "day", "elimination"]] for g in gone if len(g)]
    gone = (
        pd.concat(gone, ignore_index=True)
        if gone
        else pd.DataFrame(columns=["game_id", "player", "day", "elimination"])
    )
    gone = gone.rename(columns={"day": "eliminated_day"}).drop_duplicates(["game_id", "player"])
    players = players.merge(gone, on=["game_id", "player"], how="left")
    players["alive_at_end"] = players["elimination"].isna()
    players["elimination"] = players["elimination"].fillna("none")
    seat = players.groupby("game_id", sort=False).cumcount().to_numpy()
    players = players.iloc[np.lexsort((seat, codes(players["game_id"], gindex)))]
    return players, lookup, answered, banished, created


def _beliefs(
    engine: Engine, ids: list[str] | None, chunks: list[Chunk], gindex: pd.Index, lookup: _Roles
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per (report, target), reports in game/seq order and targets in seat order; and the reports
    (one row per ``BeliefReported``, for the decisions)."""
    reports, wide = _events(engine, "belief_reported", ids, chunks, ("beliefs",))
    if not len(reports):
        return pd.DataFrame(), reports
    reports = _filled(reports, "decided_by", _DEFAULT_DECIDED_BY)
    order = _order(reports, gindex)
    matrix = wide["beliefs"]
    if order is not None:
        reports, matrix = reports.take(order), matrix.take(order)
    seat = {name: i for i, name in enumerate(lookup.names)}
    matrix = matrix[sorted(matrix.columns, key=lambda c: (seat.get(c, len(seat)), str(c)))]
    keys = reports[["game_id", "seq", "day", "observer", "decided_by"]].reset_index(drop=True)
    beliefs = stack_wide(keys, matrix.reset_index(drop=True), "target", "p_traitor")
    if len(beliefs):
        beliefs["observer_role"] = lookup.at(beliefs["game_id"], beliefs["observer"], beliefs["seq"])
        beliefs["target_role"] = lookup.at(beliefs["game_id"], beliefs["target"], beliefs["seq"])
    return beliefs, reports


def _categorical(values: pd.Series | str, n: int) -> pd.Categorical:
    """``values`` as a pandas Categorical (a constant string repeated ``n`` times, without building it)."""
    if isinstance(values, str):
        return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[values])
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("object").astype("category")
    return values.array


def _decisions(parts: Sequence[pd.DataFrame], gindex: pd.Index, lookup: _Roles) -> pd.DataFrame:
    """One row per decision the engine asked for, in game/seq order (``traitors.provenance.decisions``):
    votes, statements, belief reports, recruitment answers, and the engine's abstentions on a speech or a
    belief report (a ``DecisionFallback``, no decision event of its own). Built from integer codes and
    categoricals (no Python object per row)."""
    votes, statements, reports, answered, fell = parts
    sources: list[tuple[pd.DataFrame, str, pd.Series | str, pd.Series | str]] = []  # frame, player, kind, by
    if len(votes):
        sources.append((votes, "voter", votes["kind"], votes["decided_by"]))
    if len(statements):
        sources.append((statements, "speaker", "speak", statements["decided_by"]))
    if len(reports):
        sources.append((reports, "observer", "belief", reports["decided_by"]))
    if len(answered):
        answered = _filled(answered, "decided_by", _DEFAULT_DECIDED_BY)
        sources.append((answered, "player", "answer_offer", answered["decided_by"]))
    if len(fell):
        fell = _filled(fell, "source", "engine")
        silent = fell[fell["source"].eq("engine").to_numpy() & fell["kind"].isin(_SILENT).to_numpy()]
        if len(silent):
            sources.append((silent, "player", silent["kind"], FALLBACK))
    if not sources:
        return pd.DataFrame(columns=_DECISION_COLUMNS)
    g = np.concatenate([codes(f["game_id"], gindex) for f, *_ in sources])
    p = np.concatenate([codes(f[col], lookup.names) for f, col, *_ in sources])
    seq = np.concatenate([f["seq"].to_numpy(dtype=np.int64) for f, *_ in sources])
    order = np.argsort(g * (int(seq.max()) + 1) + seq, kind="stable")
    g, p, seq = g[order], p[order], seq[order]
    decisions = pd.DataFrame(
        {
            "game_id": pd.Categorical.from_codes(g, categories=gindex.astype(str)),
            "seq": seq,
            "day": np.concatenate([f["day"].to_numpy(dtype=np.int64) for f, *_ in sources])[order],
            "phase": union_categoricals([_categorical(f["phase"], len(f)) for f, *_ in sources])[order],
            "player": pd.Categorical.from_codes(p, categories=lookup.names.astype(str)),
            "kind": union_categoricals([_categorical(k, len(f)) for f, _, k, _ in sources])[order],
            "decided_by": union_categoricals([_categorical(b, len(f)) for f, _, _, b in sources])[order],
        }
    )
    key = np.where((g >= 0) & (p >= 0), g * len(lookup.names) + p, -1)
    safe = np.maximum(key, 0)
    traitor = lookup.traitor[safe] | (lookup.recruited[safe] < seq)
    decisions["player_role"] = pd.Categorical.from_codes(
        np.where(key < 0, -1, traitor.astype(np.int8)), categories=ROLES
    )
    return decisions


def _fallback_counts(players: pd.DataFrame, decisions: pd.DataFrame, lookup: _Roles) -> pd.DataFrame:
    """``players`` with each seat's ``decisions``, ``fallbacks`` and ``fallback_rate`` (NaN without any
    decision)."""
    size = len(lookup.games) * len(lookup.names)
    key = lookup.key(decisions["game_id"], decisions["player"]) if len(decisions) else np.zeros(0, np.int64)
    ok = key >= 0
    fell = (decisions["decided_by"] == FALLBACK).to_numpy(dtype=float) if len(decisions) else np.zeros(0)
    made = np.bincount(key[ok], minlength=size)
    fallbacks = np.bincount(key[ok], weights=fell[ok], minlength=size)
    seat = lookup.key(players["game_id"], players["player"])
    made = np.where(seat >= 0, made[np.maximum(seat, 0)], 0).astype(np.int64)
    fallbacks = np.where(seat >= 0, fallbacks[np.maximum(seat, 0)], 0).astype(np.int64)
    return players.assign(decisions=made, fallbacks=fallbacks, fallback_rate=rate(fallbacks, made))
