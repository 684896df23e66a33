"""The LLM tables (own MetaData, created on the events' database): ``model_calls`` (one row per call with
the measurements that differ between a live run and a cache re-run), ``llm_cache`` (responses by hash) and
``llm_notes`` (LLM agents' daily private notes, so that resumed games prompt exactly as before)."""

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
)

metadata = MetaData()

model_calls = Table(
    "model_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("game_id", String(128)),
    Column("player", String(64)),
    Column("day", Integer),
    Column("phase", String(16)),
    Column("purpose", String(32)),
    Column("model", String(200), nullable=False),
    Column("prompt_tokens", Integer, nullable=False),
    Column("completion_tokens", Integer, nullable=False),
    Column("cached_tokens", Integer, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("cost_usd", Float, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("cache_hit", Boolean, nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_model_calls_game", "game_id"),
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
    """Create the LLM tables on ``engine`` if missing (once per engine)."""
    if engine not in _created:
        metadata.create_all(engine)
        _created.add(engine)
    return engine
