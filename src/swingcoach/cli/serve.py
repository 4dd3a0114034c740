"""`swingcoach serve`: the whole service in one process (embedded defaults), or one API replica.
Needs the `server` extra."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from swingcoach.cli import backend_help, needs_extra


@needs_extra("serve", "server")
def serve(
    host: Annotated[
        str, typer.Option(help="Interface to listen on (0.0.0.0 inside a container).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Embedded mode: SQLite file, stored videos, secret key (env SWINGCOACH_DATA_DIR)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=0, max=16, help="In-process job threads when no BROKER_URL is set.")
    ] = None,
    processes: Annotated[
        int,
        typer.Option(
            min=1,
            max=32,
            help="API processes on the one port: one Python process uses one core for the device path.",
        ),
    ] = 1,
    pose_backend: Annotated[
        str | None,
        typer.Option(help=backend_help("Pose model of the video path (env SWINGCOACH_POSE_BACKEND)")),
    ] = None,
) -> None:
    """Run the API. With no environment: SQLite, local files and an in-process worker, all under
    --data-dir. DATABASE_URL, STORAGE_URL and BROKER_URL move each part to its own server."""
    import os

    import uvicorn

    from swingcoach.server.core.config import Settings
    from swingcoach.server.db import create_db_engine, migrate

    overrides = {"data_dir": data_dir, "embedded_workers": workers, "pose_backend": pose_backend}
    given = {key: value for key, value in overrides.items() if value is not None}
    settings = Settings(**given)
    options = {
        "host": host,
        "port": port,
        "log_config": None,
        "access_log": False,
        # Behind nginx the client address comes from X-Forwarded-For, trusted from the proxies in
        # uvicorn's FORWARDED_ALLOW_IPS (default: loopback only).
        "proxy_headers": True,
        # Longer than nginx's upstream keep-alive (60 s) and a device's pause between swings, so
        # the server never closes a connection just as a client reuses it.
        "timeout_keep_alive": 75,
        "timeout_graceful_shutdown": 10,
    }
    if processes == 1:
        from swingcoach.server.app import create_app

        uvicorn.run(create_app(settings), **options)
        return
    # Several processes: each builds the app from the environment (the options above included),
    # after this one has migrated the database once and made the shared signing key, if it is
    # kept in data_dir (each process writing its own would refuse the others' tokens).
    settings.signing_key  # noqa: B018
    if settings.migrate_on_start:
        engine = create_db_engine(settings.resolved_database_url)
        migrate(engine)
        engine.dispose()
    os.environ.update({f"SWINGCOACH_{key.upper()}": str(value) for key, value in given.items()})
    os.environ["SWINGCOACH_MIGRATE_ON_START"] = "false"
    uvicorn.run("swingcoach.server.app:create_app", factory=True, workers=processes, **options)
