"""`swingcoach library ...`: the device's saved swings (list, show, delete) and their uploads; and the
device settings and server client that `swingcoach edge` shares with it. Needs the `edge` extra."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import fail, needs_extra
from swingcoach.errors import SwingcoachError

if TYPE_CHECKING:
    from swingcoach.edge.library import SwingEntry
    from swingcoach.edge.sender import Sender, ServerClient
    from swingcoach.edge.settings import EdgeSettings

library_app = typer.Typer(
    help="The device's swing library: list, show, delete, and upload what is queued.", no_args_is_help=True
)

LibraryOption = Annotated[
    Path | None,
    typer.Option("--library", help="Library folder (env SWINGCOACH_LIBRARY).", show_default=False),
]
ServerOption = Annotated[
    str | None, typer.Option(help="Server URL, e.g. http://127.0.0.1:8000 (env SWINGCOACH_SERVER).")
]
TokenOption = Annotated[
    str | None, typer.Option(help="Bearer token (env SWINGCOACH_TOKEN).", show_default=False)
]
EmailOption = Annotated[str | None, typer.Option(help="Account to log in with (env SWINGCOACH_EMAIL).")]
PasswordOption = Annotated[
    str | None, typer.Option(help="Its password (env SWINGCOACH_PASSWORD, preferred).", show_default=False)
]


def settings_from(**options: Any) -> EdgeSettings:
    """Environment variables, overridden by the options that were given."""
    from pydantic import ValidationError

    from swingcoach.edge.settings import EdgeSettings, SettingsError

    try:
        return EdgeSettings(**{name: value for name, value in options.items() if value is not None})
    except ValidationError as error:
        problems = "; ".join(
            ": ".join(filter(None, [".".join(map(str, e["loc"])), e["msg"].removeprefix("Value error, ")]))
            for e in error.errors()
        )
        raise SettingsError(f"bad setting: {problems}") from None


def secret(value: Any) -> str | None:
    return None if value is None else value.get_secret_value()


def server_client(settings: EdgeSettings) -> ServerClient:
    from swingcoach.edge.sender import ServerClient

    assert settings.server is not None
    return ServerClient(
        settings.server,
        token=secret(settings.token),
        email=settings.email,
        password=secret(settings.password),
        timeout_s=settings.request_timeout_s,
    )


def make_sender(settings: EdgeSettings, outbox_path: Path) -> Sender:
    from swingcoach.edge.outbox import Outbox
    from swingcoach.edge.sender import Backoff, Sender

    client = server_client(settings)
    return Sender(Outbox(outbox_path), client, Backoff(settings.backoff_base_s, settings.backoff_cap_s))


def upload_summary(counts: dict[str, int]) -> str:
    return f"uploads: {counts['delivered']} delivered, {counts['pending']} pending, {counts['failed']} failed"


def describe(entry: SwingEntry) -> str:
    events = entry.events
    timing = (
        f"address {entry.time_at(events.address):.2f} s, finish {entry.time_at(events.finish):.2f} s"
        if events
        else "no events"
    )
    return (
        f"swing {str(entry.id)[:8]}: {entry.start_time_s:.2f}-{entry.start_time_s + entry.duration_s:.2f} s "
        f"({timing}, {entry.handedness or '?'}-handed)"
    )


@library_app.command("list")
@needs_extra("library list", "edge")
def list_swings(
    library: LibraryOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The saved swings, newest first, with their upload status."""
    from swingcoach.edge.library import Library
    from swingcoach.edge.outbox import Outbox

    store = Library(settings_from(library=library).library)
    outbox = Outbox(store.db_path)
    entries = store.entries()
    uploads = {str(e.id): outbox.status_of(str(e.id)) for e in entries}
    if as_json:
        rows = [
            {**e.model_dump(mode="json"), "uploads": {k: s for k, (s, _) in uploads[str(e.id)].items()}}
            for e in entries
        ]
        print(json.dumps(rows, indent=1))
        return
    table = Table(title=f"{len(entries)} swing(s) in {store.root}")
    for column in ("id", "recorded", "length", "hand", "view", "address", "finish", "upload"):
        table.add_column(column)
    for e in entries:
        table.add_row(
            str(e.id)[:8],
            e.recorded_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            f"{e.duration_s:.1f} s",
            e.handedness or "-",
            e.view or "-",
            f"{e.time_at(e.events.address):.2f} s" if e.events else "-",
            f"{e.time_at(e.events.finish):.2f} s" if e.events else "-",
            ", ".join(f"{kind} {status}" for kind, (status, _) in uploads[str(e.id)].items()) or "-",
        )
    Console().print(table)


@library_app.command()
@needs_extra("library show", "edge")
def show(
    swing: Annotated[str, typer.Argument(help="Swing id (or its first characters).")],
    library: LibraryOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One swing: its times, events, files and upload status."""
    from swingcoach.edge.library import CLIP, KEYPOINTS, THUMBNAIL, Library
    from swingcoach.edge.outbox import Outbox

    store = Library(settings_from(library=library).library)
    try:
        entry = store.get(swing)
    except SwingcoachError as error:
        fail(error)
        return
    folder = store.folder(entry.id)
    uploads = Outbox(store.db_path).status_of(str(entry.id))
    data = {
        **entry.model_dump(mode="json"),
        "files": {name: str(folder / name) for name in (CLIP, KEYPOINTS, THUMBNAIL)},
        "uploads": {kind: {"status": status, "error": error} for kind, (status, error) in uploads.items()},
    }
    if as_json:
        print(json.dumps(data, indent=1))
        return
    out = Console()
    out.print(describe(entry), highlight=False)
    out.print(
        f"source {entry.source}, frames {entry.first_frame}-{entry.first_frame + entry.frames - 1}"
        f" at {entry.fps:g} fps"
    )
    if entry.events:
        for name, frame in entry.events.model_dump().items():
            out.print(f"  {name:<19} frame {frame:>6}  {entry.time_at(frame):8.2f} s", highlight=False)
    for name, path in data["files"].items():
        out.print(f"  {name:<14} {path}", highlight=False)
    for kind, (status, error) in uploads.items():
        out.print(f"  upload {kind}: {status}" + (f" ({error})" if error else ""), highlight=False)


@library_app.command()
@needs_extra("library delete", "edge")
def delete(
    swings: Annotated[list[str], typer.Argument(help="Swing ids (or their first characters).")],
    library: LibraryOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete swings: files, index entry and any upload not yet sent."""
    from swingcoach.edge.library import Library

    store = Library(settings_from(library=library).library)
    try:
        entries = [store.get(key) for key in swings]
    except SwingcoachError as error:
        fail(error)
        return
    if not yes and not typer.confirm(f"delete {len(entries)} swing(s) from {store.root}?"):
        raise typer.Exit(1)
    for entry in entries:
        store.delete(entry.id)
        Console().print(f"deleted {entry.id}")


@library_app.command()
@needs_extra("library upload", "edge")
def upload(
    server: ServerOption = None,
    token: TokenOption = None,
    email: EmailOption = None,
    password: PasswordOption = None,
    library: LibraryOption = None,
    timeout: Annotated[
        float, typer.Option(help="Give up after this many seconds (what is left stays queued).")
    ] = 300.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each retry.")] = False,
) -> None:
    """Send everything still queued (after being offline); exits 1 if some is still pending."""
    from swingcoach.edge.library import Library
    from swingcoach.edge.settings import SettingsError

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    try:
        settings = settings_from(library=library, server=server, token=token, email=email, password=password)
        if not settings.server:
            raise SettingsError("no server: give --server or set SWINGCOACH_SERVER")
        sender = make_sender(settings, Library(settings.library).db_path)
        try:
            sender.drain(timeout)
        finally:
            sender.stop()
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    counts = sender.outbox.counts()
    Console().print(upload_summary(counts), highlight=False)
    if counts["pending"]:
        raise typer.Exit(1)
