"""model_calls: one row per ModelCall event (seq), unknown costs, served version, original cost

Rows now come from the ``ModelCall`` events: ``seq`` is the event's, unique with ``game_id`` (so a phase
replayed on resume is counted once); rows written before this revision keep ``seq`` NULL (they were one
row per HTTP call and cannot be matched to events reliably). Measurements become nullable: ``cost_usd``
NULL means the price is unknown (it used to be a silent 0), and a row without a measurement has NULL
latency, cache hit and time. New: ``original_cost_usd`` (what the call that produced the answer cost; a
cache hit keeps it), ``served_model`` and ``system_fingerprint`` (what the provider says served it).
The unique index on (game_id, seq) replaces the index on game_id.

The downgrade writes 0 / false / the epoch into NULL measurements (the older schema has no unknown) and
drops the new columns.

Revision ID: 3d2d86b544e1
Revises: 8b31467cd6bb
Create Date: 2026-12-04 03:11:17.050585
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3d2d86b544e1"
down_revision: str | Sequence[str] | None = "8b31467cd6bb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEASURED = (
    ("latency_ms", sa.Float(), "0"),
    ("cost_usd", sa.Float(), "0"),
    ("cache_hit", sa.Boolean(), "false"),
    ("created_at", sa.DateTime(timezone=True), "'1970-01-01 00:00:00'"),
)


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("model_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("original_cost_usd", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("served_model", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("system_fingerprint", sa.String(length=128), nullable=True))
        for name, kind, _ in MEASURED:
            batch_op.alter_column(name, existing_type=kind, nullable=True)
        batch_op.drop_index("ix_model_calls_game")
        batch_op.create_index("ux_model_calls_game_seq", ["game_id", "seq"], unique=True)


def downgrade() -> None:
    """Revert this revision."""
    for name, _, default in MEASURED:
        value = "0" if name == "cache_hit" and op.get_bind().dialect.name == "sqlite" else default
        op.execute(f"UPDATE model_calls SET {name} = {value} WHERE {name} IS NULL")
    with op.batch_alter_table("model_calls", schema=None) as batch_op:
        batch_op.drop_index("ux_model_calls_game_seq")
        batch_op.create_index("ix_model_calls_game", ["game_id"], unique=False)
        for name, kind, _ in reversed(MEASURED):
            batch_op.alter_column(name, existing_type=kind, nullable=False)
        batch_op.drop_column("system_fingerprint")
        batch_op.drop_column("served_model")
        batch_op.drop_column("original_cost_usd")
        batch_op.drop_column("seq")
