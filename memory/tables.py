"""The memory tables, in the same database as the events: ``memory_items`` and ``beliefs``.

Both are append-only and idempotent: ``memory_items`` is unique on (identity, game_id, source_seq, kind) and
``beliefs`` on (game_id, seq, target), so a resumed game that re-runs a phase writes nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
)

#: What a memory item is: something seen, a day's reflection, an agent's plan, or a belief summary.
KINDS = ("observation", "reflection", "plan", "belief")
#: Kinds an identity carries into later games when the scenario sets ``memory.carry_over``.
LONG_TERM = ("reflection", "plan", "belief")

metadata = MetaData()

memory_items = Table(
    "memory_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("identity", String(256), nullable=False),
    Column("game_id", String(128), nullable=False),
    Column("player", String(64), nullable=False),
    Column("day", Integer, nullable=False),
    Column("phase", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("importance", Float, nullable=False),
    Column("source_seq", Integer, nullable=False),
    UniqueConstraint("identity", "game_id", "source_seq", "kind", name="uq_memory_items_source"),
    Index("ix_memory_items_scope", "identity", "game_id", "id"),
    Index("ix_memory_items_player", "game_id", "player", "day"),
)

beliefs = Table(
    "beliefs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("game_id", String(128), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("day", Integer, nullable=False),
    Column("observer", String(64), nullable=False),
    Column("identity", String(256), nullable=False),
    Column("target", String(64), nullable=False),
    Column("p_traitor", Float, nullable=False),
    Column("rationale", String(256), nullable=False, default=""),
    UniqueConstraint("game_id", "seq", "target", name="uq_beliefs_report"),
    Index("ix_beliefs_observer", "game_id", "observer", "day"),
    Index("ix_beliefs_identity", "identity", "target"),
)


def create_tables(engine: Engine) -> None:
    """Create the memory tables if they are missing (safe to call on every start)."""
    metadata.create_all(engine)


def insert_ignoring_duplicates(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` in one statement, skipping rows that hit a unique constraint (SQLite, PostgreSQL;
    other dialects fall back to a plain insert)."""
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        conn.execute(insert(table), list(rows))
        return
    conn.execute(dialect_insert(table).on_conflict_do_nothing(), list(rows))
