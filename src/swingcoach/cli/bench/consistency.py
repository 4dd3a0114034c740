"""`swingcoach bench consistency`: the spread of every figure a golfer sees when the same swing is
filmed differently or takes another path (bench/consistency.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import console, needs_extra


@needs_extra("bench consistency", "bench")
def bench_consistency(
    data: Annotated[
        Path, typer.Option(help="The shared data folder (phone_swings/, videos/, golfdb/).")
    ] = Path("../shared/data"),
    quick: Annotated[bool, typer.Option("--quick", help="Two swings, fewer perturbations (CI).")] = False,
    only: Annotated[
        list[str] | None, typer.Option(help="Run only these perturbations (and the base), by name.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random drops and jitter.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Also write the figures to this JSON file.")] = None,
    markdown_page: Annotated[
        Path | None, typer.Option("--markdown", help="Also write the tables as a page (docs/consistency.md).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Perturb real swings as real devices do and report the spread of score, metrics, events, advice."""
    import shlex
    import sys

    from swingcoach.bench.consistency import markdown, run_consistency

    def progress(video: str, perturbation: str, seconds: float) -> None:
        console.print(f"{video}: {perturbation} ({seconds:.1f} s)", highlight=False)

    result = run_consistency(data, quick=quick, only=only, seed=seed, on_run=progress)
    if out is not None:
        out.write_text(json.dumps(result, indent=2))
    if markdown_page is not None:
        command = "swingcoach bench consistency " + shlex.join(sys.argv[3:])
        markdown_page.write_text(markdown(result, command.strip()))
    if as_json:
        print(json.dumps(result, indent=2))
        return
    print_tables(result)


def spread_table(title: str, swings: list[dict]) -> Table:
    table = Table(title=title)
    for column in (
        "swing",
        "runs",
        "score",
        "tempo",
        "worst angle",
        "top ms",
        "impact ms",
        "advice",
        "views",
    ):
        table.add_column(column)
    for swing in swings:
        angles = {n: s["range"] for n, s in swing["metrics"].items() if swing["metric_units"].get(n) == "°"}
        worst = max(angles.items(), key=lambda kv: kv[1], default=("-", 0.0))
        tempo = swing["metrics"].get("tempo_ratio")
        missing = len(swing["missed"]) + len(swing["unscored"])
        table.add_row(
            f"{swing['video']} #{swing['swing'] + 1}",
            f"{swing['runs']}" + (f" ({missing} missed or unscored)" if missing else ""),
            f"{swing['score']['range']:.1f}",
            "-" if tempo is None else f"{tempo['range']:.2f}",
            f"{worst[1]:.1f} ({worst[0]})",
            f"{swing['events_ms']['top']['range']:.0f}",
            f"{swing['events_ms']['impact']['range']:.0f}",
            f"{swing['advice_agreement']:.0%}",
            ", ".join(f"{v} {n}" for n, v in swing["views"].items()),
        )
    return table


def print_tables(result: dict) -> None:
    out = Console(width=160)
    out.print(spread_table("Spread over the perturbations, per swing (max - min)", result["swings"]))
    out.print(
        spread_table("Spread over the three paths (CLI, server clip job, browser keypoints)", result["paths"])
    )
    flagged = [c for c in result["corruption"] if c["flagged"]]
    out.print(f"corrupted skeletons flagged (no score): {len(flagged)} of {len(result['corruption'])}")
    for label in result["label_tempo"]:
        out.print(f"tempo {label['video']}: labels {label['labels']:.2f}, measured {label['measured']}")
    if result["session"]:
        session = result["session"]
        out.print(
            f"session of {session['videos']} swings back to back: {session['swings_found']} found, "
            f"{session['overlapping_cuts']} overlapping cuts"
        )
    goals = [(s["video"], name, ok) for s in result["swings"] for name, ok in s["goals"].items()]
    failed = [f"{video}: {name}" for video, name, ok in goals if not ok]
    out.print(f"goals met: {len(goals) - len(failed)} of {len(goals)}" + ("; missed: " if failed else ""))
    for line in failed:
        out.print(f"  {line}", highlight=False)
