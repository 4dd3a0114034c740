"""`swingcoach train ...`: reproducible training runs of every model (needs the `train` extra)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from swingcoach.cli import POSE_CACHE, console, fail, needs_extra
from swingcoach.errors import SwingcoachError

train_app = typer.Typer(help="Train the models (needs the 'train' extra).", no_args_is_help=True)


@train_app.command("pose")
@needs_extra("train pose", "train")
def train_pose(
    out: Annotated[
        Path, typer.Option(help="Run folder: last.pt (resumable), best.pt, history.json.")
    ] = POSE_CACHE / "runs" / "w050",
    data: Annotated[Path, typer.Option(help="Shared data folder (lspet/, phone_swings/, golfdb/).")] = Path(
        "../shared/data"
    ),
    cache: Annotated[
        Path, typer.Option(help="Teacher labels and frames (derived data, not in git).")
    ] = POSE_CACHE,
    width: Annotated[float, typer.Option(help="Width multiplier of the network.")] = 0.5,
    activation: Annotated[str, typer.Option(help="relu (fast in every runtime) or prelu.")] = "relu",
    stages: Annotated[
        str,
        typer.Option(help="Crop size:epochs, in order (progressive resizing); the last size is the input."),
    ] = "96:24,128:8,192:6",
    batch: Annotated[int, typer.Option()] = 32,
    lr: Annotated[float, typer.Option()] = 3e-3,
    teacher_weight: Annotated[
        float, typer.Option(help="Alpha: weight of the teacher's targets against the annotation's.")
    ] = 0.5,
    seed: Annotated[int, typer.Option()] = 0,
    max_minutes: Annotated[
        float, typer.Option(help="Stop after this long with a checkpoint; the same command continues.")
    ] = 40.0,
    init: Annotated[
        Path | None,
        typer.Option(help="Start from the weights of this checkpoint (best.pt): a further training cycle."),
    ] = None,
) -> None:
    """Distil the student pose model from BlazePose on LSPET + golf frames (labels the data first)."""
    import logging

    import torch

    from swingcoach.train.pose_train import TrainConfig, train

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(1)
    config = TrainConfig(
        width=width,
        activation=activation,
        stages=tuple((int(size), int(epochs)) for size, epochs in (s.split(":") for s in stages.split(","))),
        batch_size=batch,
        lr=lr,
        teacher_weight=teacher_weight,
        seed=seed,
        init=str(init) if init else None,
    )
    try:
        best = train(data, cache, out, config, max_minutes)
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    typer.echo(f"best checkpoint: {best}" if best.is_file() else f"no full-size epoch yet; continue: {out}")


@train_app.command("events")
@needs_extra("train events", "train")
def train_events(
    data: Annotated[Path, typer.Option(help="GolfDB landmark folder (with poses/*.npz).")] = Path(
        "../shared/data/golfdb"
    ),
    out: Annotated[Path, typer.Option(help="Folder for events_<variant>.onnx and _int8.onnx.")] = Path(
        "src/swingcoach/swing/events/models"
    ),
    variant: Annotated[str, typer.Option(help="supcon, ce, triplet or gru.")] = "supcon",
    steps: Annotated[int | None, typer.Option(help="Classifier steps (default: the recipe's).")] = None,
    pretrain_steps: Annotated[int | None, typer.Option(help="Encoder steps of supcon/triplet.")] = None,
    seed: Annotated[int, typer.Option()] = 0,
    hold_out: Annotated[
        int | None, typer.Option(help="Leave this GolfDB split out and report its PCE.")
    ] = None,
) -> None:
    """Train the event model on the GolfDB landmark files and export it to ONNX (fp32 and int8)."""
    import numpy as np
    import torch

    from swingcoach.swing.events.model import LearnedEventDetector
    from swingcoach.train.events import TrainConfig, export_event_model, parameter_count, train_model
    from swingcoach.train.events_data import load_golfdb, pce_hits

    torch.set_num_threads(1)
    overrides = {"steps": steps, "pretrain_steps": pretrain_steps}
    try:
        config = TrainConfig(variant=variant, seed=seed, **{k: v for k, v in overrides.items() if v})
        clips = load_golfdb(data)
    except (SwingcoachError, ValueError) as error:
        fail(error)
        return
    train = [clip for clip in clips if clip.split != hold_out]
    test = [clip for clip in clips if clip.split == hold_out]
    console.print(f"training {variant} on {len(train)} GolfDB clips")
    model = train_model(train, config, log=console.print)
    typer.echo(f"{parameter_count(model):,} parameters")
    for path in export_event_model(model, train, out / f"events_{variant}"):
        typer.echo(f"wrote {path} ({path.stat().st_size / 1024:.0f} kB)")
        if test:
            detector = LearnedEventDetector(path)
            hits = [pce_hits(np.array(detector.detect(c.sequence).frames), c.events) for c in test]
            typer.echo(f"  PCE on split {hold_out} ({len(test)} clips): {100 * np.mean(hits):.1f}%")


@train_app.command("posture")
@needs_extra("train posture", "train")
def train_posture(
    data: Annotated[Path, typer.Option(help="The posture data folder.")] = Path("../shared/data/posture"),
    out: Annotated[Path, typer.Option(help="Folder for the models.")] = Path("src/swingcoach/posture/models"),
    cache: Annotated[Path, typer.Option(help="Where the photos' poses are cached.")] = Path(".cache/posture"),
    steps: Annotated[int, typer.Option(help="Training steps per model.")] = 2000,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Train the yoga, yoga-photos and exercise classifiers and fit the form-error limits."""
    from swingcoach.train.posture import PostureTrainConfig, form_rules, train_posture_model
    from swingcoach.train.posture_data import image_poses, load_exercises, load_form_rows, load_yoga_sequences

    config = PostureTrainConfig(steps=steps, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    photos = [s for s in image_poses(data, cache) if (s.points == s.points).any()]
    for name, kind, examples in (
        ("yoga", "held", load_yoga_sequences(data)),
        ("yoga-photos", "held", photos),
        ("exercise", "movement", load_exercises(data)),
    ):
        for path in train_posture_model(kind, examples, out / name, config, console.print):
            console.print(f"wrote {path}")
    limits = out / "form.json"
    limits.write_text(json.dumps({"rules": form_rules(load_form_rows(data))}, indent=1) + "\n")
    console.print(f"wrote {limits}")


@train_app.command("lift")
@needs_extra("train lift", "train")
def lift(
    out: Annotated[Path, typer.Option(help="Run folder: checkpoint.pt, then the exported ONNX models.")],
    data: Annotated[Path, typer.Option(help="Human3.6M folder (see ../shared/data/README.md).")] = Path(
        "../shared/data/h36m"
    ),
    channels: Annotated[int, typer.Option(help="Convolution channels.")] = 320,
    stages: Annotated[
        int, typer.Option(help="Temporal stages; the receptive field is 3**stages frames.")
    ] = 3,
    dropout: Annotated[float, typer.Option()] = 0.1,
    causal: Annotated[bool, typer.Option(help="Look at past frames only (streaming).")] = False,
    steps: Annotated[int, typer.Option()] = 10000,
    batch: Annotated[int, typer.Option()] = 256,
    lr: Annotated[float, typer.Option()] = 1e-3,
    sh_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of SH-detection windows (the rest: noisy GT 2D).")
    ] = 0.5,
    teacher: Annotated[Path | None, typer.Option(help="Teacher checkpoint.pt to distil from.")] = None,
    seed: Annotated[int, typer.Option()] = 0,
    max_minutes: Annotated[
        float | None, typer.Option(help="Stop after this long, checkpoint saved; run again to continue.")
    ] = None,
    name: Annotated[str, typer.Option(help="Exported file names: NAME.onnx and NAME_int8.onnx.")] = "lifter",
) -> None:
    """Train the 2D->3D lifter on Human3.6M S1 S5 S6 S7 S8 and export it to ONNX (fp32 and int8)."""
    import logging

    from swingcoach.train.h36m import TRAIN_SUBJECTS, load_takes
    from swingcoach.train.lift import LifterConfig, TrainConfig, export, load_checkpoint, train

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    model_config = LifterConfig(channels=channels, stages=stages, dropout=dropout, causal=causal)
    config = TrainConfig(steps=steps, batch=batch, lr=lr, sh_share=sh_share, seed=seed)
    checkpoint = train(data, out, model_config, config, teacher, max_minutes)
    if load_checkpoint(checkpoint)["step"] < steps:
        return
    for path in export(checkpoint, out, load_takes(data, TRAIN_SUBJECTS), name):
        typer.echo(f"wrote {path}")


@train_app.command("ballflight")
@needs_extra("train ballflight", "train")
def ballflight(
    data: Annotated[Path, typer.Option(help="The shared data folder (caddieset/ and golfdb/poses/).")] = Path(
        "../shared/data"
    ),
    out: Annotated[Path | None, typer.Option(help="Write the models here instead of the package.")] = None,
) -> None:
    """The ball-flight model on CaddieSet, cross-validated leave one golfer out, exported to ONNX."""
    from swingcoach.analysis.ballflight import MODEL_DIR
    from swingcoach.cli.bench.ballflight import print_ballflight
    from swingcoach.errors import InputError
    from swingcoach.train.ballflight import train_ballflight

    try:
        card = train_ballflight(data, out or MODEL_DIR)
    except InputError as exc:
        fail(exc)
    print_ballflight(card)


@train_app.command("pros")
def pros(
    data: Annotated[Path, typer.Option(help="GolfDB landmark files (poses/*.npz).")] = Path(
        "../shared/data/golfdb/poses"
    ),
) -> None:
    """The tour swings a golfer's swing is compared with: GolfDB's, measured by our analysis."""
    from swingcoach.errors import InputError
    from swingcoach.train.pros import build_pro_reference

    try:
        reference = build_pro_reference(data)
    except InputError as exc:
        fail(exc)
    kept = ", ".join(f"{len(swings)} {view}" for view, swings in reference["views"].items())
    skipped = ", ".join(f"{len(ids)} {why}" for why, ids in reference["skipped"].items() if ids)
    typer.echo(f"kept {kept}; skipped {skipped}")
