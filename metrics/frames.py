"""Events in SQL → the tidy tables of DESIGN.md §4 (games, players, votes, statements, beliefs, model_calls).

Roles are those a player held *when* the fact happened: a Faithful recruited at night (an accepted
``RecruitAnswered``) votes, speaks and is judged as a Traitor from the next event on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from metrics.payloads import codes, parse, parse_seats, stack_wide
from metrics.schema import ROLES, SCHEMA, Frames, conform, empty_frames
from metrics.sql import Chunk, has_tables, plan_chunks, read_games, read_model_calls, read_ndjson
from traitors.store import Store, open_engine

_TABLE_OF = {"vote_cast": "votes", "statement": "statements", "belief_reported": "beliefs"}
_FIELDS = {  # the payload fields read per event type (model_call: whatever its fields are)
    "roles_assigned": ("game_id", "seq", "day"),
    "recruit_answered": ("game_id", "seq", "day", "player", "accepted"),
    "banished": ("game_id", "seq", "day", "player"),
    "murdered": ("game_id", "seq", "day", "player"),
    "vote_cast": ("game_id", "seq", "day", "kind", "ballot", "voter", "target", "valid"),
    "statement": ("game_id", "seq", "day", "phase", "turn", "channel", "speaker", "text"),
    "belief_reported": ("game_id", "seq", "day", "observer"),
}


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
    text = read_ndjson(engine, kind, chunks)
    frame, wide = parse(text, dict_fields, categorical=categorical, fields=_FIELDS.get(kind))
    if ids is not None and len(frame):
        keep = frame["game_id"].isin(ids).to_numpy()
        frame = frame[keep].reset_index(drop=True)
        wide = {k: w[keep].reset_index(drop=True) for k, w in wide.items()}
    return frame, wide


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

    players, lookup = _players(engine, ids, chunks, gindex)
    votes, _ = _events(engine, "vote_cast", ids, chunks)
    if len(votes):
        votes = _ordered(votes, gindex)
        votes["voter_role"] = lookup.at(votes["game_id"], votes["voter"], votes["seq"])
        votes["target_role"] = lookup.at(votes["game_id"], votes["target"], votes["seq"])
    statements, _ = _events(engine, "statement", ids, chunks)
    if len(statements):
        statements = _ordered(statements, gindex)
        speaker = statements["speaker"]
        statements["speaker_role"] = lookup.at(statements["game_id"], speaker, statements["seq"])
    calls = read_model_calls(engine, list(SCHEMA["model_calls"]), ids)
    if calls.empty:  # no measurements table: the ModelCall events (tokens, attempts, outcome) still count
        calls, _ = _events(engine, "model_call", ids, chunks)
    calls = calls[calls["game_id"].isin(gindex)] if len(calls) else calls
    return {
        "games": conform(games, "games"),
        "players": conform(players, "players"),
        "votes": conform(votes, "votes"),
        "statements": conform(statements, "statements"),
        "beliefs": conform(_beliefs(engine, ids, chunks, gindex, lookup), "beliefs"),
        "model_calls": conform(calls, "model_calls"),
    }


def _players(
    engine: Engine, ids: list[str] | None, chunks: list[Chunk], gindex: pd.Index
) -> tuple[pd.DataFrame, _Roles]:
    """The players table (seat order) and the role lookup built from roles and accepted recruitments."""
    players = parse_seats(read_ndjson(engine, "game_created", chunks))
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
    return players.iloc[np.lexsort((seat, codes(players["game_id"], gindex)))], lookup


def _beliefs(
    engine: Engine, ids: list[str] | None, chunks: list[Chunk], gindex: pd.Index, lookup: _Roles
) -> pd.DataFrame:
    """One row per (report, target), reports in game/seq order and targets in seat order."""
    reports, wide = _events(engine, "belief_reported", ids, chunks, ("beliefs",))
    if not len(reports):
        return pd.DataFrame()
    order = _order(reports, gindex)
    matrix = wide["beliefs"]
    if order is not None:
        reports, matrix = reports.take(order), matrix.take(order)
    seat = {name: i for i, name in enumerate(lookup.names)}
    matrix = matrix[sorted(matrix.columns, key=lambda c: (seat.get(c, len(seat)), str(c)))]
    keys = reports[["game_id", "seq", "day", "observer"]].reset_index(drop=True)
    beliefs = stack_wide(keys, matrix.reset_index(drop=True), "target", "p_traitor")
    if len(beliefs):
        beliefs["observer_role"] = lookup.at(beliefs["game_id"], beliefs["observer"], beliefs["seq"])
        beliefs["target_role"] = lookup.at(beliefs["game_id"], beliefs["target"], beliefs["seq"])
    return beliefs
