"""The stored size of each uploaded clip, for the per-user storage quota.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Clips stored before this revision have no size and do not count towards the quota.
    op.add_column("swings", sa.Column("video_bytes", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("swings", "video_bytes")
