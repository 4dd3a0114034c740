"""`swingcoach bench ballflight`: the ball-flight model's figures (also printed by `train ballflight`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from swingcoach.cli import fail, needs_extra


def print_ballflight(result: dict) -> None:
    """Leave-one-golfer-out MAE per target and model, per view, and how many features agree."""
    from rich.console import Console
    from rich.table import Table

    from swingcoach.analysis.ballflight import TARGETS

    out = Console()
    for view, figures in result["views"].items():
        cv, agreement = figures["cross_validation"], figures["feature_agreement"]
        used = sum(f["used"] for f in agreement["features"].values())
        table = Table(
            title=f"{view}: {cv['swings']} CaddieSet swings, {cv['golfers']} golfers, leave one golfer out; "
            f"{used} of {len(agreement['features'])} features agree with ours on "
            f"{agreement['swings']} GolfDB swings"
        )
        table.add_column("MAE of")
        for header in ("carry m", "total m", "direction °", "side spin rpm", "spin axis °"):
            table.add_column(header, justify="right")
        table.add_column("curve class", justify="right")
        for model in ("club_mean", "linear", "forest"):
            row = cv[model]
            table.add_row(model, *(f"{row[f'{t}_mae']:g}" for t in TARGETS), f"{row['curve_accuracy']:.1%}")
        table.add_row("majority", *[""] * len(TARGETS), f"{cv['majority_curve_accuracy']:.1%}")
        out.print(table)


@needs_extra("bench ballflight", "train")
def bench_ballflight(
    data: Annotated[Path, typer.Option(help="The shared data folder (caddieset/, golfdb/).")] = Path(
        "../shared/data"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The ball-flight model's figures: feature agreement on GolfDB, leave-one-golfer-out errors."""
    import json

    from swingcoach.bench.ballflight import run_ballflight_bench
    from swingcoach.errors import InputError

    try:
        result = run_ballflight_bench(data)
    except InputError as exc:
        fail(exc)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    print_ballflight(result)
