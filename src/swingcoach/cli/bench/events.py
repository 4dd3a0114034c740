"""`swingcoach bench events`: the event detectors' PCE ablation over GolfDB and phase accuracy on the
labelled phone swings."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import console, fail, needs_extra
from swingcoach.errors import SwingcoachError

if TYPE_CHECKING:
    from swingcoach.bench.events import EventBench

ABLATION = ("ce", "triplet", "supcon", "gru")


def _bench_json(bench: EventBench) -> dict:
    from swingcoach.swing.events import EVENT_NAMES

    rows = []
    for row in bench.rows:
        fields = asdict(row)
        fields["pce"] = dict(zip(EVENT_NAMES, (round(v, 4) for v in fields.pop("per_event")), strict=True))
        rows.append({k: round(v, 4) if isinstance(v, float) else v for k, v in fields.items()})
    return {
        "protocol": "GolfDB PCE, 4-fold CV over split (learned rows trained in this run)",
        "clips": bench.clips,
        "quick": bench.quick,
        "seed": bench.seed,
        "rows": rows,
        "phone_phase_accuracy": [asdict(result) for result in bench.phases],
    }


def _print_bench(bench: EventBench) -> None:
    from swingcoach.swing.events import EVENT_NAMES

    out = Console()
    title = f"GolfDB PCE, 4-fold CV over split, {bench.clips} clips" + (" (quick)" if bench.quick else "")
    table = Table(title=title)
    for column in ("detector", *EVENT_NAMES, "mean", "params", "ms/swing", "int8 mean"):
        table.add_column(column, justify="left" if column == "detector" else "right")
    for row in bench.rows:
        table.add_row(
            row.label,
            *(f"{100 * v:.1f}" for v in row.per_event),
            f"{100 * row.mean:.1f}",
            f"{row.params:,}" if row.params else "-",
            f"{row.latency_ms:.2f}",
            f"{100 * row.int8_mean:.1f}" if row.int8_mean is not None else "-",
        )
    out.print(table)
    out.print(
        "ms/swing: detect() on one onnxruntime thread for a 3-second, 30 fps swing "
        "(median over the real-time clips, time per frame x 90)."
    )
    if bench.phases:
        phases = Table(
            title="Phase accuracy per frame on the labelled phone swings (video -> blazepose-full)"
        )
        detectors = list(bench.phases[0].accuracy)
        for column in ("video", "frames", "fps", *detectors):
            phases.add_column(column, justify="left" if column == "video" else "right")
        for result in bench.phases:
            accuracies = (f"{100 * result.accuracy[d]:.1f}" for d in detectors)
            phases.add_row(result.video, str(result.frames), f"{result.fps:g}", *accuracies)
        frames = sum(r.frames for r in bench.phases)
        pooled = (sum(r.accuracy[d] * r.frames for r in bench.phases) / frames for d in detectors)
        phases.add_row("all frames", str(frames), "", *(f"{100 * v:.1f}" for v in pooled), style="bold")
        out.print(phases)


@needs_extra("bench events", "train")
def bench_events(
    data: Annotated[Path, typer.Option(help="GolfDB landmark folder (with poses/*.npz).")] = Path(
        "../shared/data/golfdb"
    ),
    phones: Annotated[
        Path | None, typer.Option(help="Phone-swing folder with swing1-3 .mp4 and _phases.csv.")
    ] = Path("../shared/data/phone_swings"),
    variants: Annotated[
        list[str] | None, typer.Option("--variant", help="Learned variants to cross-validate (repeatable).")
    ] = None,
    quick: Annotated[bool, typer.Option(help="A quarter of the training steps (a rough check).")] = False,
    skip_phones: Annotated[bool, typer.Option(help="Leave out the phone-swing phase accuracy.")] = False,
    seed: Annotated[int, typer.Option(help="Training seed of the learned variants.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The event-detector ablation: rules and four learned variants, PCE per event, params, latency;
    then phase accuracy end to end on the labelled phone swings. Trains the folds (needs the 'train'
    extra): about 30 minutes on 2 cores, 8 with --quick."""
    from swingcoach.bench.events import run_event_bench

    chosen = variants or list(ABLATION)
    unknown = [v for v in chosen if v not in ABLATION]
    if unknown:
        fail(ValueError(f"unknown variant {unknown[0]!r}; choose from {', '.join(ABLATION)}"))
    try:
        bench = run_event_bench(data, None if skip_phones else phones, chosen, quick, console.print, seed)
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    if as_json:
        print(json.dumps(_bench_json(bench), indent=2))
    else:
        _print_bench(bench)
