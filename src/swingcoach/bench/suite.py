"""`swingcoach bench all`: every accuracy benchmark, the five-stage speed benchmark and the model
latencies of the device kit, in one run, as one JSON document (rendered by `bench.report`).

The accuracy figures come from the benchmark functions of each model's own bench module, called
with the protocol they implement:
- events: GolfDB PCE, 4-fold CV of the rule detector and the shipped learned variant (SupCon),
  fp32 and int8 (`bench.events.run_event_bench`); per-frame phase accuracy on the labelled phone
  swings through the whole pipeline (`bench.events.phone_phase_accuracy`);
- 3D lift: Human3.6M protocol #1, MPJPE / PA-MPJPE from SH and GT 2D, of the shipped lifter and
  its int8 version (`bench.lift.bench_lifter`);
- 2D pose: PCK@0.2 on the LSPET test split, agreement with BlazePose on golf video, sizes and
  latencies of every student model and BlazePose (`bench.pose.run_pose_bench`).
A section whose data or dependencies are missing is recorded as skipped, with the reason.

--quick: a quarter of the event training steps, the lifter on one of the four cameras, PCK on
100 LSPET images, and the quick speed plan (one round, one thread, native resolution).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from swingcoach import __version__
from swingcoach.bench.machine import describe_machine, load_average
from swingcoach.bench.speed import FULL, QUICK, SpeedConfig, SpeedPlan, run_speed_bench, speed_clips
from swingcoach.errors import SwingcoachError
from swingcoach.pose.registry import DEFAULT_BACKEND

SCHEMA = "swingcoach-benchmarks/1"
SECTIONS = ("events", "lift", "pose", "speed", "models", "session")
EVENT_VARIANT = "supcon"  # the shipped learned detector (events_supcon.onnx)
LIFTERS = ("lifter", "lifter-int8")  # what the analysis lifts with, and its int8 version
QUICK_LIFT_CAMERA = "55011271"  # one of the four cameras; it has SH detections for every take
QUICK_PCK_IMAGES = 100
KIT_RUNS = {True: ["--threads", "1", "2", "--runs", "10", "--warmup", "2"], False: []}

Log = Callable[[str], None]


class Skipped(Exception):
    """A section that cannot run here (data or an optional dependency missing)."""


def event_section(data: Path, quick: bool, log: Log) -> dict:
    from swingcoach.bench.events import run_event_bench
    from swingcoach.swing.events import RuleEventDetector
    from swingcoach.swing.events.model import DEFAULT_MODEL, INT8_MODEL, LearnedEventDetector

    golfdb, phones = data / "golfdb", data / "phone_swings"
    if not (golfdb / "poses").is_dir():
        raise Skipped(f"GolfDB poses not found in {golfdb}")
    try:
        import torch  # noqa: F401  (the folds are trained in the run)
    except ImportError:
        raise Skipped("the 4-fold CV trains the event model: needs the 'train' extra (torch)") from None
    bench = run_event_bench(golfdb, None, [EVENT_VARIANT], quick, log)
    section: dict = {
        "protocol": "GolfDB PCE: |pred - true| <= max(1, round((impact - address) / 30)) frames; "
        "4-fold CV over GolfDB's split (learned rows trained in this run)",
        "clips": bench.clips,
        "quick": quick,
        "rows": [asdict(row) for row in bench.rows],
    }
    if (phones / "swing1_phases.csv").is_file():
        from swingcoach.bench.events import phone_phase_accuracy

        log("phase accuracy on the labelled phone swings")
        detectors = {
            "rules": RuleEventDetector(),
            "learned": LearnedEventDetector(DEFAULT_MODEL),
            "learned-int8": LearnedEventDetector(INT8_MODEL),
        }
        section["phases"] = {
            "backend": "blazepose-full",
            "videos": [asdict(r) for r in phone_phase_accuracy(phones, detectors, "blazepose-full")],
        }
    return section


def lift_section(data: Path, quick: bool, log: Log) -> dict:
    from swingcoach.bench.lift import bench_lifter, latency_ms, load_test_takes
    from swingcoach.pose.lift import Lifter

    if not (data / "h36m" / "cameras.json").is_file():
        raise Skipped(f"Human3.6M not found in {data / 'h36m'}")
    takes = load_test_takes(data / "h36m")
    if quick:
        takes = [take for take in takes if take.camera == QUICK_LIFT_CAMERA]
    models = []
    for name in LIFTERS:
        log(f"Human3.6M S9+S11: {name}")
        lifter = Lifter.shipped(name, threads=1)
        bench = bench_lifter(lifter, takes)
        models.append(
            {
                "name": name,
                "model": bench.name,
                "params": bench.params,
                "receptive_field": bench.receptive_field,
                "causal": bench.causal,
                "frames": {s: v.frames for s, v in bench.scores.items()},
                "mpjpe_mm": {s: v.mpjpe for s, v in bench.scores.items()},
                "pa_mpjpe_mm": {s: v.pa_mpjpe for s, v in bench.scores.items()},
                "mpjpe_without_offset_takes_mm": {
                    s: v.mpjpe for s, v in bench.scores_without_offset_takes.items()
                },
                "latency_ms_per_frame": {"stream": latency_ms(lifter, 1), "batch": latency_ms(lifter, 256)},
            }
        )
    cameras = f"camera {QUICK_LIFT_CAMERA} only" if quick else "all four cameras"
    return {
        "protocol": f"Human3.6M protocol #1: trained on S1 S5 S6 S7 S8, every frame of S9 and S11, "
        f"{cameras}; mean of the 15 action means, mm",
        "models": models,
    }


def pose_section(data: Path, quick: bool, log: Log) -> dict:
    from swingcoach.bench.pose import run_pose_bench
    from swingcoach.pose.student import MODEL_DIR

    if not (data / "lspet" / "joints.npz").is_file():
        raise Skipped(f"LSPET not found in {data / 'lspet'}")
    bench = run_pose_bench(data, [MODEL_DIR], QUICK_PCK_IMAGES if quick else None, 2 if quick else 10, log)
    return bench.as_json()


def speed_section(
    data: Path | None, plan: SpeedPlan, configs: list[SpeedConfig], on_run: Callable[[SpeedConfig], None]
) -> dict:
    bench = run_speed_bench(speed_clips(data), plan, configs, on_run)
    return {
        "plan": asdict(plan),
        "clips": bench.clips,
        "configs": [asdict(r) for r in bench.results],
        "load_average_end": bench.load_average_end,
    }


def models_section(quick: bool) -> dict:
    """The device kit's benchmark script, run here exactly as on a device (fresh process, kit files)."""
    from swingcoach.export.device_kit import write_device_kit

    with tempfile.TemporaryDirectory(prefix="swingcoach-kit-") as folder:
        kit = Path(folder)
        write_device_kit(kit)
        out = kit / "results.json"
        command = [sys.executable, str(kit / "benchmark.py"), "--name", "this machine", "--out", str(out)]
        done = subprocess.run([*command, *KIT_RUNS[quick]], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SwingcoachError(f"the device kit's benchmark failed: {done.stderr.strip()[-500:]}")
        return json.loads(out.read_text())


# Long practice sessions (bench/session.py): minutes of video, the first the baseline.
SESSION_MINUTES = {False: [0.25, 5.0, 60.0], True: [0.25, 1.5]}
SESSION_CLIP = Path("examples/golfdb_demo.mp4")


def session_section(quick: bool) -> dict:
    from swingcoach.bench.session import bench_session

    return bench_session(SESSION_CLIP, SESSION_MINUTES[quick], DEFAULT_BACKEND)


def step_count(sections: set[str], plan: SpeedPlan, configs: list[SpeedConfig]) -> int:
    """Progress steps: one per section, and one per speed run."""
    return sum(plan.rounds * len(configs) if s == "speed" else 1 for s in sections)


def run_suite(
    data: Path | None,
    quick: bool,
    sections: set[str],
    command: str,
    advance: Callable[[str], None],
    log: Log,
    configs: list[SpeedConfig] | None = None,
) -> dict:
    """Every chosen section; `advance(step)` after each step, `log` for what the benchmarks say."""
    plan = QUICK if quick else FULL
    configs = configs if configs is not None else plan.configs()
    results: dict = {
        "schema": SCHEMA,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "swingcoach": __version__,
        "git": git_state(),
        "quick": quick,
        "data": None if data is None else str(data),
        "machine": describe_machine(),
        "accuracy": {},
        "failed": {},
        "seconds": {},
    }
    accuracy = {"events": event_section, "lift": lift_section, "pose": pose_section}
    for name in (s for s in SECTIONS if s in sections):
        started = time.perf_counter()
        try:
            if name in accuracy:
                results["accuracy"][name] = accuracy_or_skipped(name, accuracy[name], data, quick, log)
            elif name == "speed":
                results["speed"] = speed_section(data, plan, configs, lambda c: advance(f"speed: {c.name}"))
            elif name == "session":
                results["session"] = session_section(quick)
            else:
                results["devices"] = [models_section(quick)]
        except Exception as error:  # one broken section must not throw away the others' figures
            log(traceback.format_exc())
            results["failed"][name] = f"{type(error).__name__}: {error}"
            if name in accuracy:
                results["accuracy"][name] = {"failed": results["failed"][name]}
        if name != "speed":
            advance(name)
        results["seconds"][name] = round(time.perf_counter() - started, 1)
    results["load_average_end"] = load_average()
    return json.loads(json.dumps(results))  # plain JSON types, as the report reads them back


def accuracy_or_skipped(
    name: str, section: Callable[[Path, bool, Log], dict], data: Path | None, quick: bool, log: Log
) -> dict:
    try:
        if data is None or not data.is_dir():
            raise Skipped(f"no data folder ({data})")
        return section(data, quick, log)
    except Skipped as reason:
        log(f"{name}: skipped, {reason}")
        return {"skipped": str(reason)}


def git_state() -> dict | None:
    """The commit the code ran from, whether the tracked code (src/, pyproject.toml) differed from
    it, and which of the models it measured are not committed."""
    from swingcoach.export.device_kit import kit_sources

    repo = Path(__file__).resolve().parents[3]

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        # Only what the figures depend on: a report rewriting docs/ is not a change to the code.
        changed = git("status", "--porcelain", "--untracked-files=no", "--", "src", "pyproject.toml")
        tracked = set(git("ls-files", "-z", "src").split("\0"))
    except (OSError, subprocess.CalledProcessError):
        return None  # not a git checkout (an installed package)
    models = [path.relative_to(repo).as_posix() for path, _, _ in kit_sources()]
    return {
        "head": head,
        "uncommitted_changes": bool(changed),
        "uncommitted_models": [m for m in models if m not in tracked],
    }
