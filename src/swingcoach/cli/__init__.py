"""The `swingcoach` command line: one module per command (`swingcoach.cli.<command>`, the bench
subcommands in `swingcoach.cli.bench`), registered in `swingcoach.cli.app`.

Modules here import only typer, rich, the standard library and light swingcoach modules at the top:
each command imports what it runs, so `swingcoach --help` and a mistyped file name answer at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from swingcoach.errors import SwingcoachError

console = Console(stderr=True)

# Choices of options, spelt out here so the command line needs none of the modules that define them;
# tests/test_cli.py checks each against its source.
POSE_BACKENDS = ("blazepose-full", "blazepose-lite", "student", "student-fp32")  # pose.backend_names()
EVENT_DETECTORS = ("learned", "learned-int8", "rules")  # swing.events.detector_names(), default first
CLUBS = ("driver", "3-wood", "4-iron", "5-iron", "6-iron", "7-iron", "8-iron", "9-iron")  # schemas.Club

POSE_CACHE = Path("/tmp/swingcoach-pose")  # the student pose model's teacher labels and runs


def one_of(names: Sequence[str]) -> str:
    """'a, b or c': every choice, for a help text."""
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]


def backend_help(what: str) -> str:
    """The help of an option naming a pose backend: what it is for, then every backend."""
    return f"{what}: {one_of(POSE_BACKENDS)}."


EVENTS_HELP = f"Event detector: {one_of([f'{EVENT_DETECTORS[0]} (default)', *EVENT_DETECTORS[1:]])}."


class SportChoice(StrEnum):
    golf = "golf"
    yoga = "yoga"
    exercise = "exercise"


def fail(error: Exception) -> NoReturn:
    """Print a user-facing error on one line and exit with its code (2 if it has none)."""
    console.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
    raise typer.Exit(getattr(error, "exit_code", 2))


class MissingExtraError(SwingcoachError):
    exit_code = 2


P = ParamSpec("P")
R = TypeVar("R")


def needs_extra(command: str, extra: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Mark `swingcoach <command>` as needing an optional extra: a third-party module missing while
    it runs becomes one line naming the extra to install (exit 2), not a traceback."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return function(*args, **kwargs)
            except ModuleNotFoundError as error:
                if (error.name or "swingcoach").partition(".")[0] == "swingcoach":
                    raise  # one of our own modules missing is a bug, not an extra to install
                hint = f'pip install "swingcoach[{extra}]"'
                fail(MissingExtraError(f"'swingcoach {command}' needs the {extra} extra: {hint}"))

        return run

    return decorate


class _ProgressLines:
    """Plain progress lines: one each time another tenth is done, and one at the end."""

    def __init__(self, description: str, total: int | None, unit: str) -> None:
        self.description, self.total, self.unit = description, total, unit
        self.done = self.printed = self.tenths = 0

    def __call__(self, index: int) -> None:
        self.done = index + 1
        if self.total and (tenths := 10 * self.done // self.total) > self.tenths:
            self.tenths = tenths
            self.print()

    def print(self) -> None:
        done = f"{self.done} {self.unit}"
        if self.total:
            done = f"{self.done}/{self.total} {self.unit} ({100 * self.done // self.total}%)"
        console.print(f"{self.description}: {done}", highlight=False, soft_wrap=True)
        self.printed = self.done


@contextmanager
def progress_bar(
    description: str, total: int | None, unit: str = "frames"
) -> Iterator[Callable[[int], None]]:
    """Progress of a long step; yields a callback taking the index of the item just done. A Rich bar
    on a terminal; elsewhere (CI logs, pipes, a service) plain lines about every 10 % and at the end."""
    if console.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(description, total=total)
            yield lambda index: progress.update(task, completed=index + 1)
        return
    lines = _ProgressLines(description, total, unit)
    yield lines
    if lines.printed != lines.done:  # not after an error: the command prints that instead
        lines.print()
