"""The golfer's drawings on a swing's frame (lines, angles, circles, spine line, head box), and the
catalog drill a swing's clip shows (the golfer's own drill videos on the recommendations).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("swings", sa.Column("drawings", JSON, nullable=False, server_default="[]"))
    op.add_column("swings", sa.Column("drill", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("swings", "drill")
    op.drop_column("swings", "drawings")
