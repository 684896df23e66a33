"""The LLM tables (own MetaData, created on the events' database): ``model_calls`` (one row per ``ModelCall``
event, unique by ``game_id, seq``, with the measurements that differ between a live run and a cache re-run;
NULL where a measurement is missing), ``llm_cache`` (answers by hash) and ``llm_notes`` (LLM agents' daily
private notes, so that resumed games prompt exactly as before)."""

from __future__ import annotations

import weakref

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
)

metadata = MetaData()

model_calls = Table(
    "model_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("game_id", String(128)),
    Column("seq", Integer),  # the ModelCall event's seq (NULL in rows written before rows came from events)
    Column("player", String(64)),
    Column("day", Integer),
    Column("phase", String(16)),
    Column("purpose", String(32)),
    Column("model", String(200), nullable=False),
    Column("prompt_tokens", Integer, nullable=False),
    Column("completion_tokens", Integer, nullable=False),
    Column("cached_tokens", Integer, nullable=False),
    Column("reasoning_tokens", Integer),  # hidden reasoning of a reasoning model (NULL in older rows)
    Column("latency_ms", Float),
    Column("cost_usd", Float),  # NULL: the price is unknown (or the call was not measured)
    Column("original_cost_usd", Float),  # what the call that produced the answer cost (cache hits keep it)
    Column("attempts", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("cache_hit", Boolean),
    Column("request_hash", String(64), nullable=False),
    Column("served_model", String(200)),
    Column("system_fingerprint", String(128)),
    Column("created_at", DateTime(timezone=True)),
    Index("ux_model_calls_game_seq", "game_id", "seq", unique=True),
)

llm_cache = Table(
    "llm_cache",
    metadata,
    Column("request_hash", String(64), primary_key=True),
    Column("model", String(200), nullable=False),
    Column("request", Text, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

llm_notes = Table(
    "llm_notes",
    metadata,
    Column("game_id", String(128), primary_key=True),
    Column("player", String(64), primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("notes", Text, nullable=False),
)

_created: weakref.WeakSet[Engine] = weakref.WeakSet()


def ensure_tables(engine: Engine) -> Engine:
    """Create the LLM tables on ``engine`` if missing (once per engine). A ``model_calls`` table of an
    older version (no ``seq`` or no ``reasoning_tokens``) raises ``StoreError`` naming ``traitors upgrade``,
    with nothing created."""
    if engine not in _created:
        found = inspect(engine)
        if found.has_table("model_calls") and not {"seq", "reasoning_tokens"} <= {
            c["name"] for c in found.get_columns("model_calls")
        }:
            from traitors.store import StoreError

            shown = engine.url.render_as_string(hide_password=True)
            raise StoreError(
                f"database {shown}: its model_calls table predates this version; upgrade it: "
                f"traitors upgrade --db {shown}"
            )
        metadata.create_all(engine)
        _created.add(engine)
    return engine
