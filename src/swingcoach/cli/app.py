"""The `swingcoach` app: every command and group, registered in the order `swingcoach --help` lists them."""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer
from typer.core import TyperGroup

from swingcoach.cli import console
from swingcoach.cli.analyze import analyze
from swingcoach.cli.bench import bench_app
from swingcoach.cli.edge import edge
from swingcoach.cli.events import events_command
from swingcoach.cli.export import export_app
from swingcoach.cli.library import library_app
from swingcoach.cli.posture import posture_app
from swingcoach.cli.serve import serve
from swingcoach.cli.train import train_app

# As `swingcoach --help` lists them: the analysis first, then the device, the service, the rest.
COMMANDS: tuple[tuple[str, Callable[..., None] | typer.Typer], ...] = (
    ("analyze", analyze),
    ("events", events_command),
    ("edge", edge),
    ("library", library_app),
    ("serve", serve),
    ("posture", posture_app),
    ("train", train_app),
    ("export", export_app),
    ("bench", bench_app),
)


class InOrder(TyperGroup):
    """Typer builds the commands before the groups; list both in the order of COMMANDS."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return [name for name, _ in COMMANDS]


app = typer.Typer(
    name="swingcoach",
    help="Golf swing analysis: swings, 8 events, metrics against tour ranges, score and advice.",
    cls=InOrder,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for name, target in COMMANDS:
    if isinstance(target, typer.Typer):
        app.add_typer(target, name=name)
    else:
        app.command(name)(target)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
