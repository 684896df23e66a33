"""Parsing event payloads in bulk: one JSON parse per event type, never event by event.

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

try:  # optional: ~4x faster than json.loads on large logs
    import pyarrow as pa
    import pyarrow.compute  # noqa: F401  (pa.compute)
    import pyarrow.json as pa_json
except ImportError:  # pragma: no cover - exercised only without pyarrow
    pa = None
    pa_json = None

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
            "decided_by",
            "source",
            "outcome",
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
        except pa.ArrowException:  # pragma: no cover - e.g. a field whose JSON type changes between rows
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
    persona, version (of the package that provided a custom agent; empty otherwise)."""
    cols = ["game_id", "player", "model", "persona", "version"]
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
                for f in ("name", "agent", "persona", "version")
            }
            return pd.DataFrame(
                {
                    "game_id": table.column("game_id").combine_chunks().take(parents).to_pandas(),
                    "player": fields["name"].to_pandas(),
                    "model": fields["agent"].to_pandas(),
                    "persona": fields["persona"].to_pandas().fillna(""),
                    "version": fields["version"].to_pandas().fillna(""),
                }
            )
        except pa.ArrowException:  # pragma: no cover
            pass
    rows = [
        (o["game_id"], p["name"], p["agent"], p.get("persona", ""), p.get("version", ""))
        for o in map(json.loads, text.split("\n"))
        for p in o["players"]
    ]
    return pd.DataFrame(rows, columns=cols)


#: The scenario config fields that decide a game's chance level (metrics.chance.Rules), as dotted paths.
CONFIG_FIELDS = (
    "players",
    "traitors",
    "max_days",
    "endgame.enabled",
    "endgame.at_players",
    "recruitment.enabled",
    "recruitment.mode",
    "recruitment.max_traitors",
    "missions.enabled",
    "missions.shields",
    "missions.success_rate",
)


def _config_schema() -> object:
    """The pyarrow schema of the ``GameCreated`` fields :func:`parse_configs` reads."""
    types = {"mode": pa.string(), "success_rate": pa.float64()}
    types |= {name: pa.bool_() for name in ("enabled",)}
    nested: dict[str, list[tuple[str, object]]] = {}
    top: list[tuple[str, object]] = []
    for path in CONFIG_FIELDS:
        *parent, leaf = path.split(".")
        kind = types.get(leaf, pa.int64())
        (nested.setdefault(parent[0], []) if parent else top).append((leaf, kind))
    fields = top + [(name, pa.struct(children)) for name, children in nested.items()]
    return pa.schema([("game_id", pa.string()), ("config", pa.struct(fields))])


def parse_configs(text: str) -> pd.DataFrame:
    """The rule fields of the scenario configs of newline-delimited ``GameCreated`` payloads: game_id and
    one column per dotted path of :data:`CONFIG_FIELDS` (missing where a config lacks it)."""
    cols = ["game_id", *CONFIG_FIELDS]
    if not text:
        return pd.DataFrame(columns=cols)
    if pa_json is not None:
        try:  # declared types: pyarrow builds only these fields and infers nothing (names, descriptions)
            options = pa_json.ParseOptions(explicit_schema=_CONFIG_SCHEMA, unexpected_field_behavior="ignore")
            table = pa_json.read_json(io.BytesIO(text.encode()), parse_options=options)
            config = table.column("config").combine_chunks()
            out = {"game_id": table.column("game_id").to_pandas()}
            for path in CONFIG_FIELDS:
                out[path] = _struct_path(config, path.split("."))
            return pd.DataFrame(out)[cols]
        except (pa.ArrowException, KeyError):  # pragma: no cover - e.g. a field of another JSON type
            pass
    rows = []
    for line in text.split("\n"):
        obj = json.loads(line)
        row = {"game_id": obj["game_id"]}
        for path in CONFIG_FIELDS:
            value: object = obj.get("config") or {}
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            row[path] = value
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


_CONFIG_SCHEMA = _config_schema() if pa is not None else None


def _struct_path(array: object, path: list[str]) -> pd.Series:
    """The values at ``path`` inside a pyarrow struct array (all missing when a level is absent)."""
    for part in path:
        names = {array.type.field(i).name for i in range(array.type.num_fields)}  # type: ignore[attr-defined]
        if part not in names:
            return pd.Series([None] * len(array), dtype=object)  # type: ignore[arg-type]
        array = array.field(part)  # type: ignore[attr-defined]
    return array.to_pandas()  # type: ignore[attr-defined]


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
