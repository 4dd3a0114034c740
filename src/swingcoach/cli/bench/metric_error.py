"""`swingcoach bench metric-error`: each angle metric's error per view and 3D source on Human3.6M
(bench/metric_error.py)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import fail
from swingcoach.errors import SwingcoachError


def bench_metric_error(
    data: Annotated[Path, typer.Option(help="The Human3.6M folder (cameras.json, S9.npz, S11.npz).")] = Path(
        "../shared/data/h36m"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Angle metrics from the true 3D against our lifter's 3D and the view's 2D, in degrees."""
    from swingcoach.bench.metric_error import run_metric_error

    try:
        results = run_metric_error(data)
    except SwingcoachError as error:
        fail(error)
    if as_json:
        print(json.dumps([asdict(r) for r in results], indent=2))
        return
    table = Table(title="Angle metric error on Human3.6M S9/S11 (degrees; truth: the mocap 3D)")
    for column in ("metric", "view", "source", "pairs", "MAE", "RMSE", "bias", "truth p10-p90"):
        table.add_column(column, justify="left" if column in ("metric", "view", "source") else "right")
    for r in results:
        low, high = r.truth_p10_p90
        table.add_row(
            r.metric,
            r.view,
            r.source,
            str(r.pairs),
            f"{r.mae:.1f}",
            f"{r.rmse:.1f}",
            f"{r.bias:+.1f}",
            f"{low:.0f}…{high:.0f}",
        )
    Console().print(table)
