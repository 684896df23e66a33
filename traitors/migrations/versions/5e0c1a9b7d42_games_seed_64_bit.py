"""games.seed: a 64-bit integer (seeds up to 2**63 - 1; PostgreSQL's INTEGER stopped at 2**31 - 1)

SQLite stores every integer in up to 64 bits already; on PostgreSQL the column becomes BIGINT.

Revision ID: 5e0c1a9b7d42
Revises: c7be267dda33
Create Date: 2026-12-04 04:35:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e0c1a9b7d42"
down_revision: str | Sequence[str] | None = "c7be267dda33"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("games", schema=None) as batch_op:
        batch_op.alter_column(
            "seed", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )


def downgrade() -> None:
    """Revert this revision (fails on PostgreSQL if a stored seed needs more than 32 bits)."""
    with op.batch_alter_table("games", schema=None) as batch_op:
        batch_op.alter_column(
            "seed", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
        )
