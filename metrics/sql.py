"""Reading the store in bulk: the games table, the model_calls table, and each event type's payloads as
one newline-delimited string concatenated by the database (no Python object per event), in chunks of
game-id ranges when a database is large.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, column, func, inspect, select, table

from traitors.store import events as events_table
from traitors.store import games as games_table

#: game ids pushed into the SQL ``IN (...)`` clause at most; larger selections are filtered in pandas.
_MAX_SQL_IDS = 500


def has_tables(engine: Engine) -> bool:
    """Whether the database holds the event store's tables."""
    names = set(inspect(engine).get_table_names())
    return {"games", "events"} <= names


def read_model_calls(engine: Engine, columns: Sequence[str], game_ids: Sequence[str] | None) -> pd.DataFrame:
    """Rows of the ``model_calls`` table (written by the model recorder) when it exists, else an empty frame.
    Only ``columns`` that the table has are read."""
    if "model_calls" not in inspect(engine).get_table_names():
        return pd.DataFrame(columns=list(columns))
    present = {c["name"] for c in inspect(engine).get_columns("model_calls")}
    cols = [c for c in columns if c in present]
    calls = table("model_calls", *(column(c) for c in cols))
    query = select(*calls.c)
    if game_ids is not None and len(game_ids) <= _MAX_SQL_IDS and "game_id" in present:
        query = query.where(calls.c.game_id.in_(list(game_ids)))
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).all(), columns=cols)
    if game_ids is not None and "game_id" in frame:
        frame = frame[frame["game_id"].isin(game_ids)]
    return frame


def read_games(engine: Engine) -> pd.DataFrame:
    """The ``games`` summary table as stored (one row per game, creation order), with ``n_events``."""
    cols = [
        games_table.c[c]
        for c in (
            "game_id",
            "scenario",
            "seed",
            "n_players",
            "n_traitors",
            "winner",
            "days",
            "status",
            "n_events",
        )
    ]
    query = select(*cols).order_by(games_table.c.created_at, games_table.c.game_id)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    return pd.DataFrame.from_records(rows, columns=[c.name for c in cols])


#: events per query at most (each query's payloads come back as one string; databases cap a value at ~1 GB).
_MAX_EVENTS_PER_QUERY = 1_500_000

Chunk = tuple[str, tuple[str, ...]]  # ("all", ()), ("in", ids) or ("range", (first, last))


def plan_chunks(games: pd.DataFrame, filtered: bool) -> list[Chunk]:
    """How to ask for the events of ``games`` (game_id, n_events): by id when few are selected, else by
    ranges of game ids holding at most ~1.5M events each (everything at once when that fits)."""
    if filtered and len(games) <= _MAX_SQL_IDS:
        return [("in", tuple(games["game_id"]))] if len(games) else []
    ordered = games.sort_values("game_id")
    sizes = ordered["n_events"].fillna(0).to_numpy(dtype=np.int64)
    if not filtered and sizes.sum() <= _MAX_EVENTS_PER_QUERY:
        return [("all", ())]
    ids = ordered["game_id"].to_numpy(dtype=object)
    chunks, start, total = [], 0, 0
    for i, size in enumerate(sizes):
        if total and total + size > _MAX_EVENTS_PER_QUERY:
            chunks.append(("range", (ids[start], ids[i - 1])))
            start, total = i, 0
        total += size
    if len(ids):
        chunks.append(("range", (ids[start], ids[-1])))
    return chunks


def read_ndjson(engine: Engine, event_type: str, chunks: Sequence[Chunk]) -> str:
    """The JSON payloads of every event of ``event_type`` in the games of ``chunks``, one per line,
    concatenated by the database (``group_concat``/``string_agg``): no Python object per event."""
    parts = []
    with engine.connect() as conn:
        for how, ids in chunks:
            cond = events_table.c.type == event_type
            if how == "in":
                cond = and_(cond, events_table.c.game_id.in_(list(ids)))
            elif how == "range":
                cond = and_(cond, events_table.c.game_id.between(ids[0], ids[1]))
            text = conn.execute(
                select(func.aggregate_strings(events_table.c.payload, "\n")).where(cond)
            ).scalar()
            if text:
                parts.append(text)
    return "\n".join(parts)
