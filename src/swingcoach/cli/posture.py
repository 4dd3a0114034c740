"""`swingcoach posture ...` (classify, count, add-class): held poses (yoga) and movements (exercises)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from swingcoach.cli import backend_help, fail
from swingcoach.errors import InputError, SwingcoachError

if TYPE_CHECKING:
    from swingcoach.posture.session import PostureReport

posture_app = typer.Typer(
    help="Yoga poses and exercises: classify, count repetitions, add classes.", no_args_is_help=True
)

MODEL_HELP = "yoga (the 6 recorded asanas), yoga-photos (the 5 photo poses) or exercise; default: by input"


def _default_model(path: Path) -> str:
    """The model trained on inputs like this one: photos -> yoga-photos, Penn Action joints and videos
    -> exercise, MediaPipe landmark files -> yoga."""
    from swingcoach.posture.keypoints import IMAGE_SUFFIXES

    if path.suffix.lower() in IMAGE_SUFFIXES:
        return "yoga-photos"
    if path.suffix.lower() == ".npz":
        import numpy as np

        try:
            with np.load(path) as z:
                return "exercise" if "joints" in z.files else "yoga"
        except (OSError, ValueError, EOFError) as exc:
            raise InputError(f"not a keypoint file (.npz): {path} ({exc})") from None
    return "exercise"


@posture_app.command()
def classify(
    file: Annotated[
        Path, typer.Argument(help="Keypoint .npz (landmarks (T,33,4) or joints (T,13,3)), image or video.")
    ],
    model: Annotated[str | None, typer.Option(help=MODEL_HELP)] = None,
    backend: Annotated[
        str, typer.Option(help=backend_help("Pose backend for images and videos"))
    ] = "blazepose-full",
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"label": str, "confidence": float}.')
    ] = False,
) -> None:
    """The pose or exercise in a file: for a sequence of held poses, its majority class."""
    from swingcoach.posture.classifier import PostureClassifier
    from swingcoach.posture.features import body_points
    from swingcoach.posture.held import majority_label
    from swingcoach.posture.keypoints import load_any

    try:
        chosen = model or _default_model(file)
        classifier = PostureClassifier.for_sport(chosen)
        points = body_points(load_any(file, backend).keypoints)
        if classifier.bank.kind == "held":
            label, confidence = majority_label(classifier, points)
        else:
            probabilities = classifier.probabilities(points)[0]
            label, confidence = (
                classifier.bank.labels[int(probabilities.argmax())],
                float(probabilities.max()),
            )
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    if as_json:
        print(json.dumps({"label": label, "confidence": round(confidence, 4)}))
        return
    Console().print(f"{file.name}: {label} ({100 * confidence:.0f}%, model {chosen})")


@posture_app.command()
def count(
    video: Annotated[Path, typer.Argument(help="Video, or a keypoint .npz.")],
    backend: Annotated[str, typer.Option(help=backend_help("Pose backend"))] = "blazepose-full",
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"exercise": str, "repetitions": int}.')
    ] = False,
) -> None:
    """Count the repetitions of an exercise, from our own poses on the video."""
    from swingcoach.posture.keypoints import load_any
    from swingcoach.posture.session import analyse_posture

    try:
        report, _ = analyse_posture(load_any(video, backend), "exercise", video.name)
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    if as_json:
        print(json.dumps({"exercise": report.exercise, "repetitions": len(report.repetitions)}))
        return
    Console().print(posture_table(report))


def posture_table(report: PostureReport) -> Table:
    """The held poses, or the repetitions, of an analysed recording."""
    if report.sport == "yoga":
        table = Table(title=f"{len(report.poses)} held pose(s) in {report.source}")
        for column in ("pose", "side", "hold (s)", "accuracy %", "guidance"):
            table.add_column(column)
        for s in report.poses:
            accuracy = "-" if s.accuracy is None else f"{s.accuracy:.0f}"
            table.add_row(s.label, s.side or "-", f"{s.hold_s:.1f}", accuracy, s.guidance or "-")
        return table
    confidence = 100 * (report.exercise_confidence or 0)
    reps = len(report.repetitions)
    table = Table(title=f"{report.exercise} ({confidence:.0f}%): {reps} repetitions in {report.source}")
    for column in ("rep", "frames", "tempo (s)", "joint", "range (°)", "form"):
        table.add_column(column)
    for r in report.repetitions:
        table.add_row(
            str(r.index + 1),
            f"{r.start_frame}-{r.end_frame}",
            f"{r.tempo_s:.2f}",
            r.joint,
            f"{r.range_deg:.0f}",
            "; ".join(r.form_errors) or "-",
        )
    return table


@posture_app.command("add-class")
def add_class(
    name: Annotated[str, typer.Argument(help="The new class's name (letters, digits, - and _).")],
    examples: Annotated[
        list[Path], typer.Argument(help="About 20 images, or videos / keypoint files of it.")
    ],
    model: Annotated[str, typer.Option(help="yoga, yoga-photos or exercise.")] = "yoga",
    out: Annotated[
        Path | None, typer.Option(help="Class bank to write (default: the model's own .json).")
    ] = None,
    backend: Annotated[
        str, typer.Option(help=backend_help("Pose backend for images and videos"))
    ] = "blazepose-full",
) -> None:
    """Teach a model a new class from labelled examples, without code or training."""
    from swingcoach.posture.classifier import PostureClassifier
    from swingcoach.posture.features import body_points
    from swingcoach.posture.keypoints import load_any

    try:
        classifier = PostureClassifier.for_sport(model)
        recordings = [body_points(load_any(path, backend).keypoints) for path in examples]
        classifier.add_class(name, recordings)
        written = classifier.bank.save(out or classifier.bank_path)
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    Console().print(f"{name}: {len(recordings)} examples; {len(classifier.bank.labels)} classes in {written}")
