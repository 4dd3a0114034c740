"""`swingcoach bench all` (every figure in one report) and `swingcoach bench merge` (a device's results
as another column)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import console, fail, progress_bar
from swingcoach.errors import SwingcoachError


def _print_bottlenecks(results: dict, written: list[Path]) -> None:
    from swingcoach.bench.speed import STAGE_LABELS

    out = Console()
    if results.get("speed"):
        table = Table(title="bottleneck of each configuration")
        for column in ("configuration", "fps", "ms/frame median", "ms/frame p95", "bottleneck"):
            table.add_column(column, justify="left" if column in ("configuration", "bottleneck") else "right")
        for c in results["speed"]["configs"]:
            table.add_row(
                c["name"],
                f"{c['fps']:.1f}",
                f"{c['latency_median_ms']:.1f}",
                f"{c['latency_p95_ms']:.1f}",
                STAGE_LABELS[c["bottleneck"]],
            )
        out.print(table)
    for path in written:
        out.print(f"wrote {path}")


def bench_all(
    data: Annotated[
        Path, typer.Option(help="Shared data folder (golfdb/, phone_swings/, h36m/, lspet/).")
    ] = Path("../shared/data"),
    out: Annotated[Path, typer.Option(help="Report folder: benchmarks.md, benchmarks.json, plots.")] = Path(
        "benchmarks"
    ),
    quick: Annotated[
        bool, typer.Option(help="Short run: fewer training steps, frames, images and repetitions.")
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option(help="Only these sections (repeatable): events, lift, pose, speed, models, session."),
    ] = None,
    device_results: Annotated[
        list[Path] | None,
        typer.Option(help="Results JSON of the device kit's benchmark.py, added as columns (repeatable)."),
    ] = None,
    update: Annotated[
        bool,
        typer.Option(
            help="Add the sections run now to the report already in OUT, keeping its other figures."
        ),
    ] = False,
) -> None:
    """Every benchmark in one run: event PCE (4-fold CV) and phase accuracy, lifter MPJPE, student
    PCK@0.2 (fp32 and int8), the five-stage speed test per backend and device profile, and the
    model latencies of the device kit; writes OUT/benchmarks.md, benchmarks.json and plots.
    About 1 to 1.5 hours on 2 cores (the event folds are trained); --quick about 15 minutes."""
    from swingcoach.bench.report import (
        load_device_results,
        load_report,
        merge_devices,
        merge_sections,
        write_report,
    )
    from swingcoach.bench.speed import FULL, QUICK
    from swingcoach.bench.suite import SECTIONS, run_suite, step_count

    sections = set(only or SECTIONS)
    unknown = sections - set(SECTIONS)
    if unknown:
        fail(ValueError(f"unknown section {sorted(unknown)[0]!r}; choose from {', '.join(SECTIONS)}"))
    command = f"swingcoach bench all --data {data} --out {out}" + (" --quick" if quick else "")
    command += "".join(f" --only {s}" for s in SECTIONS if only and s in sections)
    command += " --update" if update else ""
    plan = QUICK if quick else FULL
    try:
        devices = [load_device_results(path) for path in device_results or []]
        previous = load_report(out) if update else None
    except SwingcoachError as error:
        fail(error)
        return
    try:
        with progress_bar("benchmarks", step_count(sections, plan, plan.configs()), "steps") as tick:
            done = itertools.count()

            def log(message: str) -> None:
                console.print(f"[dim]{message}[/dim]", highlight=False)

            def advance(step: str) -> None:
                tick(next(done))

            results = run_suite(data, quick, sections, command, advance, log)
        if previous is not None:
            results = merge_sections(previous, results)
        results = merge_devices(results, devices)
        written = write_report(results, out)
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    _print_bottlenecks(results, written)
    if results["failed"]:
        failed = "; ".join(f"{name}: {error}" for name, error in results["failed"].items())
        fail(SwingcoachError(f"sections failed (the report has the others): {failed}"))


def bench_merge(
    report: Annotated[Path, typer.Argument(help="Folder holding benchmarks.json (from bench all).")],
    results: Annotated[list[Path], typer.Argument(help="Device kit results JSON files.")],
) -> None:
    """Add devices' results (the device kit's benchmark.py) to a report as columns, and re-render it."""
    from swingcoach.bench.report import load_device_results, load_report, merge_devices, write_report

    try:
        merged = merge_devices(load_report(report), [load_device_results(path) for path in results])
        written = write_report(merged, report)
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    for device in merged["devices"]:
        Console().print(f"device: {device['name']} ({len(device['results'])} measurements)")
    for path in written:
        Console().print(f"wrote {path}")
