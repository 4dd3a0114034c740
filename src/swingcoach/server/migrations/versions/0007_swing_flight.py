"""Each swing's predicted ball flight and the posture features that drive it, for statistics.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Swings analysed before this revision have no predicted flight: statistics skip them.
    op.add_column("swings", sa.Column("flight", JSON, nullable=False, server_default="{}"))


def downgrade() -> None:
    op.drop_column("swings", "flight")
