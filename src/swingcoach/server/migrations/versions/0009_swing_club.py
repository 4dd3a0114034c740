"""The club of each swing, as the device payload or the upload said: the library is labelled and
filtered by it, and a clip attached later is analysed with it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("swings", sa.Column("club", sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column("swings", "club")
