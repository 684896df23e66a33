"""memory: public observations stored once, carry-over games listed

A public event becomes one ``memory_items`` row per game (identity and player ``*``, per-player importance in
``personal``) instead of one per player. Rows written before stay as they are: they are still each player's
own observations. ``memory_carry`` lists the games whose long-term items an identity recalls later; it
replaces the partial index on ``identity``, and is filled here with every game that has long-term items
(before this revision, every earlier game was recalled).

Revision ID: 8b31467cd6bb
Revises: 70d8f3f94369
Create Date: 2026-11-29 23:20:22.773551
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8b31467cd6bb"
down_revision: str | Sequence[str] | None = "70d8f3f94369"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LONG_TERM = sa.text("kind != 'observation'")
ITEM_COLUMNS = "day, phase, kind, content, importance, source_seq"
FROM_PUBLIC = ", ".join(f"p.{c}" for c in ITEM_COLUMNS.split(", "))


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "memory_carry",
        sa.Column("identity", sa.String(length=256), nullable=False),
        sa.Column("game_id", sa.String(length=128), nullable=False),
        sa.Column("player", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("identity", "game_id"),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO memory_carry (identity, game_id, player) "
        "SELECT identity, game_id, MIN(player) FROM memory_items "
        "WHERE kind != 'observation' AND identity != '*' GROUP BY identity, game_id"
    )
    with op.batch_alter_table("memory_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("personal", sa.Text(), nullable=True))
        batch_op.drop_index("ix_memory_items_long_term", sqlite_where=LONG_TERM, postgresql_where=LONG_TERM)


def downgrade() -> None:
    """Revert this revision: each public observation goes back to one row per player of its game (at its
    base importance)."""
    op.execute(
        f"INSERT INTO memory_items (identity, game_id, player, {ITEM_COLUMNS}) "
        f"SELECT seat.identity, seat.game_id, seat.player, {FROM_PUBLIC} "
        "FROM memory_items p JOIN (SELECT DISTINCT identity, game_id, player FROM memory_items "
        "WHERE identity != '*') seat ON seat.game_id = p.game_id WHERE p.identity = '*'"
    )
    op.execute("DELETE FROM memory_items WHERE identity = '*'")
    with op.batch_alter_table("memory_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_memory_items_long_term",
            ["identity"],
            unique=False,
            sqlite_where=LONG_TERM,
            postgresql_where=LONG_TERM,
        )
        batch_op.drop_column("personal")
    op.drop_table("memory_carry")
