"""The `swingcoach` command line: one module per command group, `app` at the top."""

import typer
from rich.console import Console

console = Console(stderr=True)


def fail(error: Exception) -> None:
    """Print a user-facing error on one line and exit with its code (2 if it has none)."""
    console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
    raise typer.Exit(getattr(error, "exit_code", 2))
