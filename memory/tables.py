"""The memory tables, in the same database as the events: ``memory_items`` and ``beliefs``.

Both are append-only and idempotent: ``memory_items`` is unique on (game_id, identity, source_seq, kind) and
``beliefs`` keyed by (game_id, seq, target), so a resumed game that re-runs a phase writes nothing twice. The
unique indexes also serve the per-game reads; carry-over reads one more, partial, index.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
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
    text,
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
    UniqueConstraint("game_id", "identity", "source_seq", "kind", name="uq_memory_items_source"),
    # carry-over reads an identity's long-term items of every game: a partial index keeps writes cheap
    Index(
        "ix_memory_items_long_term",
        "identity",
        sqlite_where=text("kind != 'observation'"),
        postgresql_where=text("kind != 'observation'"),
    ),
)

beliefs = Table(
    "beliefs",
    metadata,
    Column("game_id", String(128), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("target", String(64), primary_key=True),
    Column("day", Integer, nullable=False),
    Column("observer", String(64), nullable=False),
    Column("identity", String(256), nullable=False),
    Column("p_traitor", Float, nullable=False),
    Column("rationale", String(256), nullable=False, default=""),
    sqlite_with_rowid=False,  # one B-tree: the key is the natural one, (game, report event, target)
)


ITEM_COLUMNS = (
    "identity",
    "game_id",
    "player",
    "day",
    "phase",
    "kind",
    "content",
    "importance",
    "source_seq",
)
#: In the tables' column order, so that rows go to the driver as they are.
BELIEF_COLUMNS = ("game_id", "seq", "target", "day", "observer", "identity", "p_traitor", "rationale")


def create_tables(engine: Engine) -> None:
    """Create the memory tables if they are missing (safe to call on every start)."""
    metadata.create_all(engine)


_SQL: dict[tuple[str, str, int], tuple[str, tuple[str, ...] | None]] = {}
#: Rows per multi-row INSERT where the driver takes rows as they are (SQLite): stepping one statement per
#: 50 rows writes a game's memory about a quarter faster than one statement per row.
CHUNK = 50


def _insert_sql(
    conn: Connection, table: Table, columns: Sequence[str], n: int = 1
) -> tuple[str, tuple[str, ...] | None]:
    """The dialect's INSERT ... ON CONFLICT DO NOTHING of ``n`` rows of ``columns`` (compiled once per
    dialect), and the parameter order when the driver's parameters are positional."""
    key = (conn.dialect.name, table.name, n)
    if key not in _SQL:
        if conn.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        elif conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            dialect_insert = None
        stmt = insert(table) if dialect_insert is None else dialect_insert(table)
        if n > 1:
            stmt = stmt.values([dict.fromkeys(columns)] * n)  # placeholders: rows are passed at execution
        if dialect_insert is not None:
            stmt = stmt.on_conflict_do_nothing()
        compiled = stmt.compile(dialect=conn.dialect, column_keys=list(columns))
        _SQL[key] = (str(compiled), tuple(compiled.positiontup) if compiled.positional else None)
    return _SQL[key]


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) with driver-level executemany, skipping rows that hit a
    unique constraint (SQLite, PostgreSQL; other dialects insert plainly). When the driver takes the rows
    as they are, full chunks of ``CHUNK`` rows go as multi-row INSERTs and the rest row by row."""
    if not rows:
        return
    sql, order = _insert_sql(conn, table, columns)
    if order is None:
        params: list[Any] = [dict(zip(columns, r, strict=True)) for r in rows]
    elif tuple(order) == tuple(columns):
        full = len(rows) - len(rows) % CHUNK
        if full:
            many = _insert_sql(conn, table, columns, CHUNK)[0]
            chunks = [tuple(chain.from_iterable(rows[i : i + CHUNK])) for i in range(0, full, CHUNK)]
            conn.exec_driver_sql(many, chunks)
        params = list(rows[full:])
    else:
        where = [columns.index(c) for c in order]
        params = [tuple(r[i] for i in where) for r in rows]
    if params:
        conn.exec_driver_sql(sql, params)
