"""`swingcoach bench ranges`: the timing metrics' ranges measured on GolfDB's annotated swings, and what
our measurement error does to them (bench/ranges.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import fail, needs_extra
from swingcoach.errors import SwingcoachError

UNITS = {"tempo_ratio": ":1", "backswing_s": "s", "downswing_s": "s"}


@needs_extra("bench ranges", "bench")
def bench_ranges(
    data: Annotated[
        Path, typer.Option(help="golfDB.pkl, or the GolfDB folder holding it (and poses/*.npz).")
    ] = Path("../shared/data/golfdb"),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Tempo, backswing and downswing of GolfDB's real-time tour swings: N and percentiles per club and
    view, the band scored as 100, and how our measured timing's error widens it."""
    from swingcoach.bench.ranges import as_json as plain
    from swingcoach.bench.ranges import run_ranges

    try:
        result = plain(run_ranges(data))
    except SwingcoachError as error:
        fail(error)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    print_tables(result)


def _number(value: float, metric: str) -> str:
    return f"{value:.2f}" if metric == "tempo_ratio" else f"{value:.3f}"


def distribution_table(result: dict[str, Any]) -> Table:
    table = Table(
        title=f"GolfDB real-time swings ({result['swings']}; seconds at {result['fps_assumed']:g} fps)"
    )
    for column in ("metric", "group", "N", "p10", "p25", "median", "p75", "p90"):
        table.add_column(column, justify="left" if column in ("metric", "group") else "right")
    for metric, figures in result["metrics"].items():
        groups = [("all", figures["overall"])]
        groups += [(f"club: {k}", v) for k, v in figures["club"].items()]
        groups += [(f"view: {k}", v) for k, v in figures["view"].items()]
        for name, d in groups:
            cells = [_number(d[p], metric) for p in ("p10", "p25", "median", "p75", "p90")]
            table.add_row(f"{metric} ({UNITS[metric]})", name, str(d["n"]), *cells)
        table.add_section()
    return table


def error_table(result: dict[str, Any]) -> Table:
    table = Table(
        title=f"Our measurement against the annotated events ({result['landmark_files_real_time']} real-time "
        "GolfDB landmark files; in-sample for the event model: a lower bound)"
    )
    columns = ("metric", "band (p25-p75)", "files", "bias", "median |err|", "p90 |err|")
    columns += ("measured p25-p75", "measured p10-p90", "tour swings in band", "files kept in band")
    for column in columns:
        table.add_column(column, justify="left" if column == "metric" else "right")
    for metric, figures in result["metrics"].items():
        m = figures["measurement"]
        low, high = figures["band"]
        if m is None:
            table.add_row(metric, f"{low:.2f}-{high:.2f}", "0", *["-"] * 7)
            continue

        def pair(values: list[float], metric: str = metric) -> str:
            return f"{_number(values[0], metric)}-{_number(values[1], metric)}"

        table.add_row(
            metric,
            f"{low:.2f}-{high:.2f}",
            f"{m['swings']}" + (f" ({m['without']} unmeasured)" if m["without"] else ""),
            f"{m['bias']:+.3f}",
            f"{m['median_abs_error']:.3f}",
            f"{m['p90_abs_error']:.3f}",
            pair(m["measured_band"]),
            pair(m["measured_p10_p90"]),
            f"{m['in_band']:.0%} -> {m['in_band_measured']:.0%}",
            f"{m['files_inside'][1]} of {m['files_inside'][0]}",
        )
    return table


def print_tables(result: dict[str, Any]) -> None:
    out = Console(width=170)
    out.print(distribution_table(result))
    dropped = ", ".join(f"{n} {reason}" for reason, n in result["dropped"].items())
    out.print(f"dropped: {dropped}", highlight=False)
    out.print(error_table(result))
