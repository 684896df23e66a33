"""The memory tables, in the same database as the events: ``memory_items``, ``beliefs``, ``memory_carry``.

A public event (one every player sees) is stored once per game, as an observation whose ``identity`` and
``player`` are :data:`PUBLIC`: it belongs to the memory of every player of that game (views show every
public event to every player, alive or not). Its ``importance`` is the base one and ``personal`` holds, as a
JSON object, the higher importance it has for the players it concerns (the accused, the voters). Private
events (the Traitors' channel, a player's own belief reports) and everything an agent writes
(reflections, plans, belief summaries) are rows of that agent's identity.

Both tables are append-only and idempotent: ``memory_items`` is unique on (game_id, identity, source_seq,
kind) and ``beliefs`` keyed by (game_id, seq, target), so a resumed game that re-runs a phase writes nothing
twice. The unique indexes also serve the per-game reads.

``memory_carry`` lists the games an identity played with ``memory.carry_over`` on: their long-term items
(reflections, plans, belief summaries) are what it recalls in its later carry-over games. Only carry-over
games write it, so independent games (the default) pay for no index by identity.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import chain

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
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
#: ``identity`` and ``player`` of a public observation: in the memory of every player of its game.
PUBLIC = "*"
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
    Column("personal", Text, nullable=True),  # public items: JSON {player: importance} for those concerned
    UniqueConstraint("game_id", "identity", "source_seq", "kind", name="uq_memory_items_source"),
)

memory_carry = Table(
    "memory_carry",
    metadata,
    Column("identity", String(256), primary_key=True),
    Column("game_id", String(128), primary_key=True),
    Column("player", String(64), nullable=False),
    sqlite_with_rowid=False,
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
    "personal",
)
CARRY_COLUMNS = ("identity", "game_id", "player")
#: In the tables' column order, so that rows go to the driver as they are.
BELIEF_COLUMNS = ("game_id", "seq", "target", "day", "observer", "identity", "p_traitor", "rationale")


def importance_for(personal: str | None, player: str | None, base: float) -> float:
    """A public item's importance for ``player``: its entry in the ``personal`` JSON, else ``base``."""
    return json.loads(personal).get(player, base) if personal and player is not None else base


def create_tables(engine: Engine) -> None:
    """Create the memory tables if they are missing (safe to call on every start)."""
    metadata.create_all(engine)


_SQL: dict[tuple[str, str, int], tuple[str, tuple[str, ...] | None]] = {}
#: Rows per multi-row INSERT where the driver takes rows as they are (SQLite), largest first: a flush of
#: n rows runs at most four statements, each an executemany of one of these sizes. Stepping one statement
#: per 64 rows writes a game's memory several times faster than one per row, and a fixed set of sizes keeps
#: every statement compiled once and prepared in the connection's statement cache (a statement sized to
#: each remainder missed both).
CHUNKS = (64, 16, 4, 1)


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
    as they are, they go as multi-row INSERTs of the sizes in ``CHUNKS``."""
    if not rows:
        return
    sql, order = _insert_sql(conn, table, columns)
    if order is None:
        conn.exec_driver_sql(sql, [dict(zip(columns, r, strict=True)) for r in rows])
    elif tuple(order) == tuple(columns):
        done = 0
        for size in CHUNKS:
            end = done + (len(rows) - done) // size * size
            if end > done:
                many = _insert_sql(conn, table, columns, size)[0]
                flat = chain.from_iterable
                conn.exec_driver_sql(many, [tuple(flat(rows[i : i + size])) for i in range(done, end, size)])
                done = end
    else:
        where = [columns.index(c) for c in order]
        conn.exec_driver_sql(sql, [tuple(r[i] for i in where) for r in rows])
