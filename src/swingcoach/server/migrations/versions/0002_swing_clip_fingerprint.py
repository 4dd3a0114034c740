"""A clip attached to a keypoint swing keeps its own fingerprint.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("swings", sa.Column("video_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("swings", "video_sha256")
