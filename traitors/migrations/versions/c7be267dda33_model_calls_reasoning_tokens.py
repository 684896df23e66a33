"""model_calls: reasoning_tokens (a reasoning model's hidden reasoning, part of completion_tokens)

Rows written before this revision keep NULL (not measured then; never an invented 0).

Revision ID: c7be267dda33
Revises: 3d2d86b544e1
Create Date: 2026-12-04 03:38:52.863446
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c7be267dda33"
down_revision: str | Sequence[str] | None = "3d2d86b544e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("model_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reasoning_tokens", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("model_calls", schema=None) as batch_op:
        batch_op.drop_column("reasoning_tokens")
