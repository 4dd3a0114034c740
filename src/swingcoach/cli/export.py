"""`swingcoach export ...`: trained models to ONNX / TFLite, fp32 and INT8."""

import typer

from swingcoach.cli.bench_all import export_device_kit
from swingcoach.cli.pose import export_pose

export_app = typer.Typer(help="Export models to ONNX / TFLite (fp32, int8).", no_args_is_help=True)
export_app.command("pose")(export_pose)
export_app.command("device-kit")(export_device_kit)
