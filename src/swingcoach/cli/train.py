"""`swingcoach train ...`: reproducible training runs (needs the `train` extra)."""

from pathlib import Path
from typing import Annotated

import typer

from swingcoach.cli.event_model import train_events
from swingcoach.cli.pose import train_pose
from swingcoach.cli.posture import train_posture

train_app = typer.Typer(help="Train the models (needs the 'train' extra).", no_args_is_help=True)
train_app.command("pose")(train_pose)
train_app.command("events")(train_events)
train_app.command("posture")(train_posture)


@train_app.command("lift")
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
def ballflight(
    data: Annotated[Path, typer.Option(help="The shared data folder (caddieset/ and golfdb/poses/).")] = Path(
        "../shared/data"
    ),
    out: Annotated[Path | None, typer.Option(help="Write the models here instead of the package.")] = None,
) -> None:
    """The ball-flight model on CaddieSet, cross-validated leave one golfer out, exported to ONNX."""
    from swingcoach.analysis.ballflight import MODEL_DIR
    from swingcoach.cli import fail
    from swingcoach.cli.bench import print_ballflight
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
    from swingcoach.cli import fail
    from swingcoach.errors import InputError
    from swingcoach.train.pros import build_pro_reference

    try:
        reference = build_pro_reference(data)
    except InputError as exc:
        fail(exc)
    kept = ", ".join(f"{len(swings)} {view}" for view, swings in reference["views"].items())
    skipped = ", ".join(f"{len(ids)} {why}" for why, ids in reference["skipped"].items() if ids)
    typer.echo(f"kept {kept}; skipped {skipped}")
