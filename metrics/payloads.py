"""Reading event payloads from SQL in bulk: one query per event type, one JSON parse per type.

Payloads are parsed together (newline-delimited JSON through pyarrow's multi-threaded reader when pyarrow
is installed, ``json.loads`` otherwise), never event by event through pydantic: this is the hot path of
:func:`metrics.load_frames`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, column, func, inspect, select, table

from traitors.store import events as events_table
from traitors.store import games as games_table

try:  # optional: ~4x faster than json.loads on large logs
    import pyarrow as pa
    import pyarrow.compute  # noqa: F401  (pa.compute)
    import pyarrow.json as pa_json
except ImportError:  # pragma: no cover - exercised only without pyarrow
    pa = None
    pa_json = None

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


#: pyarrow types of the scalar payload fields that the frames use.
FIELD_TYPES = (
    {
        name: pa.string()
        for name in (
            "game_id",
            "phase",
            "kind",
            "voter",
            "target",
            "channel",
            "speaker",
            "text",
            "observer",
            "player",
        )
    }
    | {name: pa.int64() for name in ("seq", "day", "ballot", "turn")}
    | {name: pa.bool_() for name in ("valid", "accepted", "ultimatum")}
    if pa is not None
    else {}
)


def parse(
    text: str,
    dict_fields: Sequence[str] = (),
    drop: Sequence[str] = ("audience",),
    categorical: Sequence[str] = (),
    fields: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Parse newline-delimited JSON objects in bulk into a frame of their scalar fields (``categorical``
    ones as pandas categoricals), plus one wide frame per dict-valued field in ``dict_fields`` (a column
    per key, NaN where a row lacks the key; row-aligned). ``fields`` (names in :data:`FIELD_TYPES`) lets
    pyarrow skip building every other scalar field (the frame may still hold more columns)."""
    if not text:
        return pd.DataFrame(), {f: pd.DataFrame() for f in dict_fields}
    if pa_json is not None:
        try:
            return _parse_arrow(text, dict_fields, drop, categorical, fields)
        except pa.ArrowInvalid:  # pragma: no cover - e.g. a field whose JSON type changes between rows
            pass
    frame, wide = _parse_python(text, dict_fields, drop)
    for col in categorical:
        if col in frame:
            frame[col] = frame[col].astype("category")
    return frame, wide


def _parse_arrow(
    text: str,
    dict_fields: Sequence[str],
    drop: Sequence[str],
    categorical: Sequence[str],
    fields: Sequence[str] | None,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    options = pa_json.ParseOptions()
    if fields is not None:  # declared types: no inference, and without dict fields no other field built
        schema = pa.schema([(f, FIELD_TYPES[f]) for f in fields])
        options = pa_json.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="infer" if dict_fields else "ignore"
        )
    table = pa_json.read_json(
        io.BytesIO(text.encode()), read_options=pa_json.ReadOptions(block_size=1 << 22), parse_options=options
    )
    wide: dict[str, pd.DataFrame] = {}
    for field in dict_fields:
        if field not in table.column_names:
            wide[field] = pd.DataFrame(index=range(table.num_rows))
            continue
        column = table.column(field).combine_chunks()
        if pa.types.is_struct(column.type):
            names = [column.type.field(i).name for i in range(column.type.num_fields)]
            wide[field] = pd.DataFrame(
                {n: a.to_numpy(zero_copy_only=False) for n, a in zip(names, column.flatten(), strict=True)}
            )
        else:  # every value null or empty
            wide[field] = pd.DataFrame(index=range(table.num_rows))
    keep = [
        c
        for c in table.column_names
        if c not in set(drop) | set(dict_fields) and not pa.types.is_nested(table.schema.field(c).type)
    ]
    table = table.select(keep)
    for col in categorical:
        if col in table.column_names and pa.types.is_string(table.schema.field(col).type):
            encoded = table.column(col).combine_chunks().dictionary_encode()
            table = table.set_column(table.column_names.index(col), col, encoded)
    return table.to_pandas(), wide


def _parse_python(
    text: str, dict_fields: Sequence[str], drop: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    objs = [json.loads(line) for line in text.split("\n")]
    wide = {
        f: pd.DataFrame.from_records([o.get(f) or {} for o in objs], index=range(len(objs)))
        for f in dict_fields
    }
    frame = pd.DataFrame.from_records(objs)
    nested = [
        c
        for c in frame.columns
        if c in drop or c in dict_fields or frame[c].map(lambda v: isinstance(v, dict | list)).any()
    ]
    return frame.drop(columns=nested), wide


def parse_seats(text: str) -> pd.DataFrame:
    """Seats of newline-delimited ``GameCreated`` payloads: game_id, player, model (the seat's agent),
    persona."""
    cols = ["game_id", "player", "model", "persona"]
    if not text:
        return pd.DataFrame(columns=cols)
    if pa_json is not None:
        try:
            table = pa_json.read_json(io.BytesIO(text.encode()))
            seats = table.column("players").combine_chunks()
            flat = seats.flatten()
            parents = pa.compute.list_parent_indices(seats)
            fields = {
                f: flat.field(f)
                if f in {flat.type.field(i).name for i in range(flat.type.num_fields)}
                else pa.nulls(len(flat), pa.string())
                for f in ("name", "agent", "persona")
            }
            return pd.DataFrame(
                {
                    "game_id": table.column("game_id").combine_chunks().take(parents).to_pandas(),
                    "player": fields["name"].to_pandas(),
                    "model": fields["agent"].to_pandas(),
                    "persona": fields["persona"].to_pandas().fillna(""),
                }
            )
        except pa.ArrowInvalid:  # pragma: no cover
            pass
    rows = [
        (o["game_id"], p["name"], p["agent"], p.get("persona", ""))
        for o in map(json.loads, text.split("\n"))
        for p in o["players"]
    ]
    return pd.DataFrame(rows, columns=cols)


def codes(values: pd.Series, categories: pd.Index) -> np.ndarray:
    """Position of each value in ``categories`` (-1 when absent), hashing each distinct value once."""
    found, uniques = pd.factorize(values)
    if len(uniques) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    mapped = categories.get_indexer(pd.Index(uniques))
    return np.where(found >= 0, mapped[np.maximum(found, 0)], -1)


def stack_wide(keys: pd.DataFrame, wide: pd.DataFrame, key_name: str, value_name: str) -> pd.DataFrame:
    """Long rows (``keys`` columns, key, value) from a row-aligned wide frame, dropping missing values."""
    if wide.shape[1] == 0 or len(keys) == 0:
        return pd.DataFrame(columns=[*keys.columns, key_name, value_name])
    values = wide.to_numpy(dtype=float, na_value=np.nan) if _numeric(wide) else wide.to_numpy(dtype=object)
    rows, cols = np.nonzero(~pd.isna(values))
    out = keys.take(rows).reset_index(drop=True)
    out[key_name] = pd.Categorical.from_codes(cols, categories=[str(c) for c in wide.columns])
    out[value_name] = values[rows, cols]
    return out


def _numeric(frame: pd.DataFrame) -> bool:
    return all(pd.api.types.is_numeric_dtype(t) for t in frame.dtypes)
