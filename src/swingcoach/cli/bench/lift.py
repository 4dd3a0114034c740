"""`swingcoach bench lift` (Human3.6M MPJPE, latency) and `swingcoach bench lift-agreement` (the
lifter's 3D against the pose backend's on real swing videos)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import backend_help, console, fail
from swingcoach.errors import NoPersonError, NoSwingError, SwingcoachError

if TYPE_CHECKING:
    from swingcoach.bench.lift import LifterBench, SwingAgreement


def _bench_json(bench: LifterBench, latency: dict[str, float]) -> dict:
    def scores(by_source: dict) -> dict:
        return {
            "mpjpe_mm": {s: round(v.mpjpe, 2) for s, v in by_source.items()},
            "pa_mpjpe_mm": {s: round(v.pa_mpjpe, 2) for s, v in by_source.items()},
        }

    return {
        "model": bench.name,
        "params": bench.params,
        "receptive_field": bench.receptive_field,
        "causal": bench.causal,
        **scores(bench.scores),
        "frames": {s: v.frames for s, v in bench.scores.items()},
        "per_action": {
            s: {
                a: {
                    "mpjpe_mm": round(v.mpjpe_by_action[a], 2),
                    "pa_mpjpe_mm": round(v.pa_mpjpe_by_action[a], 2),
                }
                for a in v.mpjpe_by_action
            }
            for s, v in bench.scores.items()
        },
        "per_joint_mpjpe_mm": {
            s: {j: round(e, 2) for j, e in v.mpjpe_by_joint.items()} for s, v in bench.scores.items()
        },
        "without_offset_takes": scores(bench.scores_without_offset_takes),
        "latency_ms_per_frame": latency,
        "eval_seconds": round(bench.seconds, 1),
    }


def _print_bench(bench: LifterBench, latency: dict[str, float]) -> None:
    out = Console()
    sh, gt = bench.scores["sh"], bench.scores["gt"]
    table = Table(
        title=f"{bench.name}: Human3.6M protocol #1, S9+S11, {sh.frames} SH / {gt.frames} GT frames (mm)"
    )
    for column in ("action", "MPJPE SH", "PA-MPJPE SH", "MPJPE GT", "PA-MPJPE GT"):
        table.add_column(column, justify="left" if column == "action" else "right")
    for action in sh.mpjpe_by_action:
        table.add_row(
            action,
            *(
                f"{v:.1f}"
                for v in (
                    sh.mpjpe_by_action[action],
                    sh.pa_mpjpe_by_action[action],
                    gt.mpjpe_by_action[action],
                    gt.pa_mpjpe_by_action[action],
                )
            ),
        )
    table.add_row("mean", *(f"{v:.1f}" for v in (sh.mpjpe, sh.pa_mpjpe, gt.mpjpe, gt.pa_mpjpe)), style="bold")
    clean = bench.scores_without_offset_takes
    table.add_row(
        "mean without S9 offset takes",
        *(
            f"{v:.1f}"
            for v in (clean["sh"].mpjpe, clean["sh"].pa_mpjpe, clean["gt"].mpjpe, clean["gt"].pa_mpjpe)
        ),
    )
    out.print(table)
    joints = Table(title=f"{bench.name}: MPJPE per joint, mean over all frames (mm)")
    for column in ("joint", "SH", "GT"):
        joints.add_column(column, justify="left" if column == "joint" else "right")
    for joint, error in sh.mpjpe_by_joint.items():
        joints.add_row(joint.replace("_", " "), f"{error:.1f}", f"{gt.mpjpe_by_joint[joint]:.1f}")
    out.print(joints)
    out.print(
        f"{bench.params:,} parameters, receptive field {bench.receptive_field} frames, "
        f"{'causal' if bench.causal else 'centred'}; latency per frame: "
        f"{latency['stream']:.3f} ms one window at a time, {latency['batch']:.3f} ms in batches of 256 "
        f"(1 thread); evaluation took {bench.seconds:.0f} s"
    )


def bench_lift(
    data: Annotated[Path, typer.Option(help="Human3.6M folder.")] = Path("../shared/data/h36m"),
    model: Annotated[
        list[str] | None,
        typer.Option(help="Shipped lifter name or path to an .onnx (repeatable; default: lifter)."),
    ] = None,
    threads: Annotated[int, typer.Option(min=1, max=16, help="Inference threads for the evaluation.")] = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (first model at the top level).")
    ] = False,
) -> None:
    """MPJPE / PA-MPJPE on Human3.6M S9+S11 from SH detections and projected GT, per action; latency."""
    from swingcoach.bench.lift import bench_lifter, latency_ms, load_test_takes
    from swingcoach.pose.lift import Lifter

    results = []
    try:
        takes = load_test_takes(data)
        for name in model or ["lifter"]:
            path = Path(name)
            lifter = Lifter(path, threads) if path.suffix == ".onnx" else Lifter.shipped(name, threads)
            bench = bench_lifter(lifter, takes)
            timing = Lifter(lifter.path, threads=1)
            latency = {"stream": round(latency_ms(timing, 1), 4), "batch": round(latency_ms(timing, 256), 4)}
            results.append((bench, latency))
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    if as_json:
        first = _bench_json(*results[0])
        print(json.dumps({**first, "models": [_bench_json(*r) for r in results]}, indent=2))
        return
    for bench, latency in results:
        _print_bench(bench, latency)


def _print_agreement(rows: list[SwingAgreement]) -> None:
    from swingcoach.bench.lift import AGREEMENT_ANGLES

    out = Console(width=200)
    table = Table(title="lifter 3D vs BlazePose world landmarks, per swing (angles: BlazePose / lifter, °)")
    for column in ("swing", "view", "frames", "MPJPE mm", "PA-MPJPE mm"):
        table.add_column(column, justify="left" if column in ("swing", "view") else "right")
    for name in AGREEMENT_ANGLES:
        table.add_column(name.replace("_", " "), justify="right", max_width=9)
    for r in rows:
        table.add_row(
            f"{r.video} #{r.swing}",
            r.view,
            str(r.frames),
            f"{r.mpjpe_mm:.0f}",
            f"{r.pa_mpjpe_mm:.0f}",
            *(f"{r.backend[m]:.0f} / {r.lifted[m]:.0f}" for m in AGREEMENT_ANGLES),
        )
    out.print(table)
    summary = _agreement_summary(rows)
    out.print(
        f"mean over {len(rows)} swings: MPJPE {summary['mpjpe_mm']:.0f} mm, "
        f"PA-MPJPE {summary['pa_mpjpe_mm']:.0f} mm; mean |BlazePose - lifter|: "
        + ", ".join(f"{m} {v:.1f}°" for m, v in summary["mean_abs_difference_deg"].items())
    )


def _agreement_summary(rows: list[SwingAgreement]) -> dict:
    from swingcoach.bench.lift import AGREEMENT_ANGLES

    count = max(len(rows), 1)
    return {
        "swings": len(rows),
        "mpjpe_mm": round(sum(r.mpjpe_mm for r in rows) / count, 1),
        "pa_mpjpe_mm": round(sum(r.pa_mpjpe_mm for r in rows) / count, 1),
        "mean_abs_difference_deg": {
            m: round(sum(abs(r.backend[m] - r.lifted[m]) for r in rows) / count, 1) for m in AGREEMENT_ANGLES
        },
    }


def bench_lift_agreement(
    data: Annotated[Path, typer.Option(help="The shared data folder (phone_swings/, videos/).")] = Path(
        "../shared/data"
    ),
    backend: Annotated[
        str, typer.Option(help=backend_help("Pose backend giving the 2D and its own 3D"))
    ] = "blazepose-full",
    threads: Annotated[int, typer.Option(min=1, max=16, help="Inference threads.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """How far the lifter's 3D (what the analysis measures with) and the backend's world landmarks
    agree on real swings, joint by joint and metric by metric (no ground truth)."""
    from dataclasses import asdict

    from swingcoach.analysis.body import shipped_lifter
    from swingcoach.bench.lift import agreement_videos, compare_3d
    from swingcoach.pose import create_backend
    from swingcoach.swing.events import create_event_detector

    rows = []
    try:
        pose_backend = create_backend(backend, threads)
        detector = create_event_detector()
        for video in agreement_videos(data):
            try:
                rows.extend(compare_3d(video, pose_backend, detector))
            except (NoPersonError, NoSwingError) as error:
                console.print(f"{video.name}: skipped, {error}", highlight=False)
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    if as_json:
        print(
            json.dumps(
                {
                    **_agreement_summary(rows),
                    "lifter": shipped_lifter().version,
                    "rows": [asdict(r) for r in rows],
                },
                indent=2,
            )
        )
        return
    _print_agreement(rows)
