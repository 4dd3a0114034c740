"""The benchmark report: `benchmarks.md` (tables), `benchmarks.json` (every figure) and plots, all
rendered from the one JSON document `bench.suite.run_suite` returns, so a report can be re-rendered
with more devices (`swingcoach bench merge`) without measuring again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from swingcoach.bench.machine import summary
from swingcoach.bench.speed import REFERENCE_BACKEND, STAGE_LABELS, STAGES
from swingcoach.errors import InputError
from swingcoach.export.device_kit import RESULTS_SCHEMA
from swingcoach.swing.events.base import EVENT_NAMES

MARKDOWN = "benchmarks.md"
JSON = "benchmarks.json"
STAGES_PLOT = "benchmarks_stages.png"
POSE_PLOT = "benchmarks_pose_accuracy.png"
STAGE_COLOURS = ("#8c8c8c", "#e6a141", "#4c78a8", "#54a24b", "#b279a2")


def _ms(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    """A markdown table; `align` gives l/r per column (default: first left, the rest right)."""
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    return ["| " + " | ".join(line) + " |" for line in [header, rule, *rows]]


# ---------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------


def header(results: dict) -> list[str]:
    machine = results["machine"]
    git = results.get("git") or {}
    commit = f", commit `{git['head']}`" if git.get("head") else ""
    if git.get("uncommitted_changes"):
        commit += " with uncommitted changes to tracked files"
    lines = [
        "# swingcoach benchmarks",
        "",
        f"Produced by {' then '.join(f'`{c}`' for c in commands(results))} on {results['created'][:10]} "
        f"({results['created'][11:16]} UTC; swingcoach {results['swingcoach']}{commit}).",
    ]
    if git.get("uncommitted_models"):
        lines += [
            "",
            "**Models not yet committed when this ran** (the figures are for the files then in the "
            "working tree): " + ", ".join(f"`{Path(m).name}`" for m in git["uncommitted_models"]) + ".",
        ]
    if results.get("failed"):
        failed = "; ".join(f"{name}: {error}" for name, error in results["failed"].items())
        lines += ["", f"**Sections that failed** (their figures are missing): {failed}."]
    if results["quick"]:
        lines += ["", "**Quick run** (`--quick`): fewer folds' steps, frames and repetitions; a rough check."]
    load, cores = machine.get("load_average"), machine.get("usable_cores") or machine.get("cores")
    lines += ["", f"**Machine:** {summary(machine)}."]
    if load:
        end = results.get("load_average_end")
        busy = load[0] > 0.5 * cores
        lines += [
            "",
            f"Load average (1, 5, 15 min) at the start {', '.join(f'{v:g}' for v in load)}"
            + (f", at the end {', '.join(f'{v:g}' for v in end)}" if end else "")
            + f", on {cores} usable cores."
            + (
                " The machine was shared with other jobs while this ran: absolute times are inflated "
                "and noisy; compare configurations by their ratios (they took turns, so the load fell "
                "on all of them alike)."
                if busy
                else ""
            ),
        ]
    packages = ", ".join(f"{k} {v}" for k, v in machine.get("packages", {}).items())
    lines += ["", f"Runtimes: {packages}.", ""]
    return lines


def bottleneck_summary(speed: dict) -> list[str]:
    rows = []
    for c in speed["configs"]:
        stage = c["stages"][c["bottleneck"]]
        total = sum(s["per_frame_ms"] for s in c["stages"].values())
        rows.append(
            [
                c["backend"],
                c["profile"],
                f"{c['fps']:.1f}",
                _ms(c["latency_median_ms"]),
                f"{STAGE_LABELS[c['bottleneck']]} ({100 * stage['per_frame_ms'] / total:.0f} %)",
            ]
        )
    columns = ["backend", "profile", "fps", "ms/frame (median)", "bottleneck stage (share of time)"]
    return ["## Bottleneck of each configuration", "", *_table(columns, rows, "llrrl"), ""]


def speed_tables(speed: dict) -> list[str]:
    plan = speed["plan"]
    clips = "; ".join(
        f"`{name}` ({c['frames']} frames, {c['fps']:g} fps, {c['size']})"
        for name, c in speed["clips"].items()
    )
    lines = [
        "## Speed: the five pipeline stages",
        "",
        "Each configuration is a pose backend on a device profile (threads = cores the process is "
        "pinned to; input resolution: the clips as recorded, or re-encoded to 720p). It runs the code "
        "`swingcoach analyze` runs, in a fresh process, over the clips: "
        f"{clips}. Rounds: {plan['rounds']}, configurations in turn; {plan['warmup_frames']} warm-up "
        "frames and the first lift / event call of each clip untimed. Stages: (1) decode + preprocess: "
        "the frame source's next frame (FFmpeg decode, BGR, rotation); (2) person detection / ROI: the "
        "BlazePose detector, run on the first frame and whenever the tracker loses the golfer; (3) 2D "
        "pose: ROI crop, network, keypoint decoding, next ROI, smoothing; (4) 3D lift: the lifter over "
        "the clip (int8 lifter for int8 profiles); (5) events / phases: swing cut and the learned "
        "event model (int8 for int8 profiles). Lift and events run once per clip; per frame they cost "
        "their time divided by the clip's frames.",
        "",
        "Mean milliseconds per frame by stage (they add up to the end-to-end time); end to end: median "
        "and 95th percentile per frame (a frame's stages 1-3 plus its share of 4-5), frames per second, "
        "peak memory of the process (max RSS), detector runs per frame, the share of stage 3 spent in "
        "the pose network itself (the rest is crop, keypoint decoding and smoothing in Python), PCK@0.2 "
        "against BlazePose full on the same frames.",
        "",
    ]
    header_row = ["backend", "profile", *(STAGE_LABELS[s] for s in STAGES)]
    header_row += [
        "e2e median",
        "e2e p95",
        "fps",
        "peak MB",
        "det./frame",
        "(3) in network",
        "vs full",
        "bottleneck",
    ]
    rows = []
    for c in speed["configs"]:
        stages = c["stages"]
        rows.append(
            [
                c["backend"],
                c["profile"],
                *(_ms(stages[s]["per_frame_ms"], 2) for s in STAGES),
                _ms(c["latency_median_ms"]),
                _ms(c["latency_p95_ms"]),
                f"{c['fps']:.1f}",
                f"{c['peak_rss_mb']:.0f}",
                f"{c['detector_share']:.2f}",
                f"{100 * c['pose_network_share']:.0f} %",
                "–" if c.get("agreement") is None else f"{c['agreement']:.2f}",
                STAGE_LABELS[c["bottleneck"]].split(" ", 1)[0],
            ]
        )
    align = "ll" + "r" * (len(header_row) - 3) + "l"
    lines += [*_table(header_row, rows, align), "", f"![Per-stage time per frame]({STAGES_PLOT})", ""]
    lines += [
        "Single runs of each stage, median / 95th percentile in ms (stages 1 and 3 per frame, 2 per "
        "detector run, 4 and 5 per clip), and the stage alone in frames per second:",
        "",
    ]
    detail = []
    for c in speed["configs"]:
        cells = []
        for s in STAGES:
            stage = c["stages"][s]
            alone = f"{1000 / stage['per_frame_ms']:.0f}" if stage["per_frame_ms"] > 0 else "–"
            cells.append(f"{_ms(stage['median_ms'])} / {_ms(stage['p95_ms'])} ({alone} fps)")
        detail.append([c["backend"], c["profile"], *cells])
    columns = ["backend", "profile", *(STAGE_LABELS[s] for s in STAGES)]
    lines += [*_table(columns, detail, "ll" + "r" * len(STAGES)), ""]
    missed = [
        f"{c['name']}: {clip}" for c in speed["configs"] for clip, n in c["swings_found"].items() if n == 0
    ]
    if missed:
        lines += [
            "No swing was found in (the events stage ran and found nothing, so its time is that of "
            "the search): " + "; ".join(missed) + ".",
            "",
        ]
    return lines


def not_measured(section: dict) -> str:
    """'Skipped: why.' or 'Failed: the error.' for a section without figures; '' otherwise."""
    for key in ("skipped", "failed"):
        if key in section:
            return f"{key.capitalize()}: {section[key]}."
    return ""


def event_tables(events: dict) -> list[str]:
    lines = ["### Swing events: GolfDB PCE", ""]
    if not_measured(events):
        return [*lines, not_measured(events), ""]
    lines += [f"{events['protocol']}; {events['clips']} clips.", ""]
    rows = []
    for row in events["rows"]:
        rows.append(
            [
                row["label"] + (" fp32" if row["int8_mean"] is not None else ""),
                *(_pct(v) for v in row["per_event"]),
                _pct(row["mean"]),
                _ms(row["latency_ms"], 2),
            ]
        )
        if row["int8_mean"] is not None:
            change = 100 * (row["int8_mean"] - row["mean"])
            rows.append(
                [
                    f"{row['label']} int8 (change {change:+.1f} points)",
                    *(["–"] * len(EVENT_NAMES)),
                    _pct(row["int8_mean"]),
                    _ms(row["int8_latency_ms"], 2),
                ]
            )
    lines += [*_table(["detector", *EVENT_NAMES, "mean PCE %", "ms/swing"], rows), ""]
    lines += ["ms/swing: median detect() time for a 3-second, 30 fps swing, one thread.", ""]
    phases = events.get("phases")
    if phases:
        detectors = list(phases["videos"][0]["accuracy"])
        frames = sum(v["frames"] for v in phases["videos"])
        pooled = {
            d: sum(v["accuracy"][d] * v["frames"] for v in phases["videos"]) / frames for d in detectors
        }
        rows = [
            [v["video"], str(v["frames"]), f"{v['fps']:g}", *(_pct(v["accuracy"][d]) for d in detectors)]
            for v in phases["videos"]
        ]
        rows.append(["all frames", str(frames), "", *(_pct(pooled[d]) for d in detectors)])
        lines += [
            "### Phases: per-frame accuracy on the labelled phone swings",
            "",
            f"Video → {phases['backend']} poses → swing cut → events → 5 phases per frame, against the "
            "hand labels (%).",
            "",
            *_table(["video", "frames", "fps", *detectors], rows),
            "",
        ]
    return lines


def lift_tables(lift: dict) -> list[str]:
    lines = ["### 3D lifter: Human3.6M MPJPE", ""]
    if not_measured(lift):
        return [*lines, not_measured(lift), ""]
    lines += [f"{lift['protocol']}.", ""]
    rows = []
    base = lift["models"][0]
    for m in lift["models"]:
        change = "" if m is base else f" ({m['mpjpe_mm']['sh'] - base['mpjpe_mm']['sh']:+.1f} vs fp32)"
        rows.append(
            [
                m["model"],
                f"{m['mpjpe_mm']['sh']:.1f}{change}",
                f"{m['pa_mpjpe_mm']['sh']:.1f}",
                f"{m['mpjpe_mm']['gt']:.1f}",
                f"{m['pa_mpjpe_mm']['gt']:.1f}",
                f"{m['mpjpe_without_offset_takes_mm']['sh']:.1f}",
                f"{m['params']:,}",
                _ms(m["latency_ms_per_frame"]["stream"], 3),
                _ms(m["latency_ms_per_frame"]["batch"], 3),
            ]
        )
    header_row = ["model", "MPJPE SH", "PA-MPJPE SH", "MPJPE GT", "PA-MPJPE GT", "MPJPE SH w/o offset takes"]
    header_row += ["params", "ms/frame 1 window", "ms/frame batch 256"]
    frames = base["frames"]
    lines += [
        *_table(header_row, rows),
        "",
        f"{frames['sh']} frames from SH detections, {frames['gt']} from projected ground truth; mm; "
        "'w/o offset takes': without the three S9 takes whose 3D is offset in the release.",
        "",
    ]
    return lines


def pose_tables(pose: dict) -> list[str]:
    lines = ["### 2D pose: PCK@0.2", ""]
    if not_measured(pose):
        return [*lines, not_measured(pose), ""]
    protocol = pose["protocol"]
    lines += [
        f"{protocol['pck']}; {protocol['lspet_test_images']} held-out LSPET images "
        f"({protocol['scored_joints']} joints). Golf agreement: {protocol['golf_agreement']} "
        f"({protocol['golf_frames']} frames). Latency: the network alone on one crop.",
        "",
    ]
    rows = []
    teacher = next((m for m in pose["models"] if m["family"] == "blazepose-full"), None)
    for m in pose["models"]:
        share = None if not teacher or not teacher["pck02"] else m["pck02"] / teacher["pck02"]
        rows.append(
            [
                m["name"],
                f"{m['params'] / 1e6:.2f} M",
                f"{m['flops'] / 1e6:.0f}",
                f"{m['size_bytes'] / 1e6:.2f}",
                _ms(m["pck02"], 3),
                _pct(share),
                _ms(m["golf_agreement"], 3),
                *(_ms(m["latency_ms"].get(t), 2) for t in ("1", "2")),
            ]
        )
    header_row = ["model", "params", "MFLOPs", "MB", "PCK@0.2", "% of BlazePose full", "golf agreement"]
    lines += [*_table([*header_row, "ms 1 thread", "ms 2 threads"], rows), ""]
    lines += _int8_changes(pose["models"])
    phones = pose.get("phone_swings") or []
    if phones:
        rows = [[s["video"], s["backend"], str(s["swings"]), _ms(s["phase_accuracy"], 3)] for s in phones]
        lines += [
            "Phone swings end to end through each backend (learned events): per-frame phase accuracy:",
            "",
            *_table(["video", "backend", "swings", "phase accuracy"], rows, "llrr"),
            "",
        ]
    lines += [f"![PCK@0.2 against latency]({POSE_PLOT})", ""]
    return lines


def _int8_changes(models: list[dict]) -> list[str]:
    """fp32 -> int8 of the same network and runtime: PCK and latency."""
    lines = []
    for m in models:
        if m["precision"] != "int8":
            continue
        fp32 = next(
            (
                f
                for f in models
                if f["family"] == m["family"] and f["runtime"] == m["runtime"] and f["precision"] == "fp32"
            ),
            None,
        )
        if fp32 is None or m["pck02"] is None or fp32["pck02"] is None:
            continue
        speed = fp32["latency_ms"]["1"] / m["latency_ms"]["1"]
        smaller = fp32["size_bytes"] / m["size_bytes"]
        lines.append(
            f"- {m['family']} {m['runtime']} fp32 → int8: PCK@0.2 {fp32['pck02']:.3f} → {m['pck02']:.3f} "
            f"({100 * (m['pck02'] - fp32['pck02']):+.1f} points), {smaller:.1f}× smaller, "
            f"{speed:.2f}× the speed at 1 thread."
        )
    return [*lines, ""] if lines else []


def device_tables(devices: list[dict]) -> list[str]:
    if not devices:
        return []
    keys: list[tuple[str, int]] = []
    cells: dict[tuple[str, int], dict[str, str]] = {}
    for device in devices:
        for r in device["results"]:
            key = (r["model"], r["threads"])
            if key not in cells:
                keys.append(key)
                cells[key] = {}
            cells[key][device["name"]] = f"{r['median_ms']:.2f} / {r['p95_ms']:.2f}"
    names = [d["name"] for d in devices]
    rows = [
        [model, str(threads), *(cells[(model, threads)].get(n, "–") for n in names)]
        for model, threads in keys
    ]
    lines = [
        "## Model latency per device (device kit)",
        "",
        "Each model alone on a random input of its shape, median / 95th percentile ms, as measured by the "
        "device kit's `benchmark.py` (`swingcoach export device-kit DIR`; devices added with "
        "`swingcoach bench merge`).",
        "",
        *_table(["model", "threads", *names], rows, "lr" + "r" * len(names)),
        "",
    ]
    for d in devices:
        settings = d["settings"]
        line = (
            f"- **{d['name']}**: {summary(d['device'])}; {settings['runs']} runs after {settings['warmup']} "
            f"warm-up; load average {d['device'].get('load_average')} → {d.get('load_average_end')}"
        )
        if d.get("skipped"):
            line += "; skipped: " + ", ".join(f"{s['model']} ({s['reason']})" for s in d["skipped"])
        lines.append(line + ".")
    return [*lines, ""]


def reproduce(results: dict) -> list[str]:
    return [
        "## Reproduce",
        "",
        "```bash",
        *commands(results),
        "swingcoach export device-kit kit/   # then on a device: python3 kit/benchmark.py",
        "swingcoach bench merge <this folder> results_<device>.json",
        "```",
        "",
        "Section times (s): " + ", ".join(f"{k} {v:g}" for k, v in results["seconds"].items()) + ".",
        "",
    ]


def session_tables(session: dict | None) -> list[str]:
    """`swingcoach analyze` on long practice sessions (bench/session.py)."""
    if not session:
        return []
    rows = [
        [
            f"{run['minutes']:g}",
            run["frame_size"],
            str(run["frames"]),
            str(run["swings"]),
            f"{run['peak_rss_mb']:.0f}",
            f"{run['wall_s']:.0f}",
            f"{run['s_per_video_minute']:.0f}",
            f"{1000 * run['report_html_mb']:.0f}",
            f"{run['annotated_mbit_s']:.2f}",
        ]
        for run in session["runs"]
    ]
    head = [
        "minutes",
        "frame",
        "frames",
        "swings",
        "peak RSS MB",
        "wall s",
        "s per video-minute",
        "report.html kB",
        "annotated Mbit/s",
    ]
    verdict = "met" if session["met"] else "missed"
    baseline = session["baseline_peaks_mb"]
    return [
        "## Long sessions",
        "",
        f"`swingcoach analyze` (pose {session['backend']}) on sessions made by looping "
        f"`{Path(session['clip']).name}` with {session['idle_s']:g} s still at address between swings, "
        "each length in its own process.",
        "",
        *_table(head, rows, "lrrrrrrrr"),
        "",
        f"Peak RSS of the longest against the shortest's median over {len(baseline)} runs "
        f"({', '.join(f'{peak:.0f}' for peak in baseline)} MB): "
        f"{session['rss_growth_pct']:+.1f} % (goal ≤ {session['goal_pct']:g} %: {verdict}).",
        "",
    ]


def render_markdown(results: dict) -> str:
    lines = header(results)
    speed = results.get("speed")
    if speed:
        lines += bottleneck_summary(speed)
    accuracy = results["accuracy"]
    if accuracy:
        lines += ["## Accuracy", ""]
        if "events" in accuracy:
            lines += event_tables(accuracy["events"])
        if "lift" in accuracy:
            lines += lift_tables(accuracy["lift"])
        if "pose" in accuracy:
            lines += pose_tables(accuracy["pose"])
    if speed:
        lines += speed_tables(speed)
    lines += device_tables(results.get("devices", []))
    lines += session_tables(results.get("session"))
    lines += reproduce(results)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------------------------


def plot_stages(speed: dict, path: Path) -> None:
    """A stacked bar per configuration: mean ms per frame of each stage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs = speed["configs"]
    names = [c["name"] for c in configs]
    fig, ax = plt.subplots(figsize=(10, 0.34 * len(configs) + 2.2))
    left = np.zeros(len(configs))
    for stage, colour in zip(STAGES, STAGE_COLOURS, strict=True):
        widths = np.array([c["stages"][stage]["per_frame_ms"] for c in configs])
        ax.barh(names, widths, left=left, color=colour, label=STAGE_LABELS[stage])
        left += widths
    ax.invert_yaxis()
    ax.set_xlabel("ms per frame (mean)")
    ax.set_title("Time per frame by pipeline stage", pad=26)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5, fontsize=8, frameon=False)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def pose_points(results: dict) -> list[tuple[str, int, float, float | None, float | None]]:
    """(backend, threads, ms per frame of detection + 2D pose, LSPET PCK@0.2, PCK@0.2 against
    BlazePose full) of each pose backend at native resolution."""
    pose = results["accuracy"].get("pose", {})
    pck = {
        (m["family"].split("-w")[0], m["precision"], m["runtime"]): m["pck02"] for m in pose.get("models", [])
    }
    formats = {"LiteRT": "tflite", "onnxruntime": "onnx"}
    points = []
    for c in results["speed"]["configs"]:
        if c["resolution"] != "native":
            continue
        ms = c["stages"]["detect"]["per_frame_ms"] + c["stages"]["pose2d"]["per_frame_ms"]
        key = (c["family"], c["precision"], formats[c["runtime"]])
        agreement = 1.0 if c["family"] == REFERENCE_BACKEND else c.get("agreement")  # the reference itself
        points.append((c["backend"], c["threads"], ms, pck.get(key), agreement))
    return points


def plot_pose_accuracy(results: dict, path: Path) -> None:
    """Accuracy against time per frame for the pose backends: LSPET PCK@0.2 (when measured) and
    agreement with BlazePose full on the speed clips; colour per backend, marker per thread count."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = pose_points(results)
    panels = [(3, "PCK@0.2, LSPET test split"), (4, "PCK@0.2 against BlazePose full, golf clips")]
    panels = [(i, title) for i, title in panels if any(p[i] is not None for p in points)]
    count = max(len(panels), 1)
    fig, axes = plt.subplots(1, count, figsize=(max(8.0, 5.5 * count), 5.2), squeeze=False)
    backends = list(dict.fromkeys(p[0] for p in points))
    colours = {name: f"C{i}" for i, name in enumerate(backends)}
    markers = {1: "o", 2: "s", 4: "^"}
    for ax, (index, title) in zip(axes[0], panels, strict=False):
        for point in points:
            if point[index] is not None:
                ax.scatter(
                    point[2], point[index], color=colours[point[0]], marker=markers.get(point[1], "x"), s=45
                )
        ax.set_xlabel("ms per frame: person detection + 2D pose (mean)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    handles = [plt.Line2D([], [], color=colours[b], marker="o", linestyle="", label=b) for b in backends]
    handles += [
        plt.Line2D([], [], color="grey", marker=m, linestyle="", label=f"{t} thread{'s' if t > 1 else ''}")
        for t, m in markers.items()
        if any(p[1] == t for p in points)
    ]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle("Pose backends: accuracy against time per frame (native resolution)")
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# Files and devices
# ---------------------------------------------------------------------------------------------


def write_report(results: dict, out: Path) -> list[Path]:
    """benchmarks.md, benchmarks.json and the plots into `out`; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / JSON, out / MARKDOWN]
    (out / JSON).write_text(json.dumps(results, indent=1) + "\n")
    (out / MARKDOWN).write_text(render_markdown(results))
    if results.get("speed"):
        plot_stages(results["speed"], out / STAGES_PLOT)
        plot_pose_accuracy(results, out / POSE_PLOT)
        written += [out / STAGES_PLOT, out / POSE_PLOT]
    return written


def load_report(folder: Path) -> dict:
    path = folder / JSON
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        raise InputError(f"no benchmark report in {folder} (expected a readable {JSON})") from None


def load_device_results(path: Path) -> dict:
    """A results file of the device kit's benchmark script; a one-line error for anything else."""
    try:
        results = json.loads(path.read_text())
    except OSError:
        raise InputError(f"cannot read device results: {path}") from None
    except json.JSONDecodeError:
        raise InputError(f"device results are not JSON: {path}") from None
    if not isinstance(results, dict) or results.get("schema") != RESULTS_SCHEMA or "results" not in results:
        raise InputError(f"not a device-kit results file ({RESULTS_SCHEMA}): {path}")
    return results


def commands(results: dict) -> list[str]:
    """The commands that made the report: one, or the runs of `bench all --update` in order."""
    return results.get("commands") or [results["command"]]


def merge_sections(previous: dict, latest: dict) -> dict:
    """`latest` (a run of some sections) laid over an earlier report: the sections it ran replace
    theirs, the others' figures stay; both commands are kept, in order."""
    ran = set(latest["seconds"])
    merged = {**previous, **{k: v for k, v in latest.items() if k not in ("accuracy", "failed", "seconds")}}
    merged["commands"] = [*commands(previous), latest["command"]]
    merged["quick"] = previous["quick"] or latest["quick"]
    merged["accuracy"] = {**previous["accuracy"], **latest["accuracy"]}
    merged["seconds"] = {**previous["seconds"], **latest["seconds"]}
    merged["failed"] = {k: v for k, v in previous["failed"].items() if k not in ran} | latest["failed"]
    return merged


def merge_devices(results: dict, devices: list[dict]) -> dict:
    """The report with each device's results as a column; a device of the same name is replaced."""
    merged = list(results.get("devices", []))
    for device in devices:
        merged = [d for d in merged if d["name"] != device["name"]] + [device]
    return {**results, "devices": merged}
