"""Alembic environment: the service settings name the database; `migrate()` may pass a connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from swingcoach.server.models import Base


def run(connection: Connection) -> None:
    # Batch mode lets later migrations alter tables on SQLite too.
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    from swingcoach.server.core.config import Settings
    from swingcoach.server.db import create_db_engine

    url = context.config.get_main_option("sqlalchemy.url") or Settings().resolved_database_url
    engine = create_db_engine(url)
    with engine.connect() as connection:
        run(connection)
        connection.commit()


main()
