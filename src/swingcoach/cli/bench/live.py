"""`swingcoach bench live`: glass-to-viewer latency of a live view relayed by `swingcoach serve`."""

from __future__ import annotations

import typer

from swingcoach.cli import needs_extra


@needs_extra("bench live", "bench")
def bench_live(
    frames: int = typer.Option(150, min=10, max=10_000, help="Frames to time."),
    fps: float = typer.Option(15.0, min=1, max=60, help="The device's sending rate."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Glass-to-viewer latency of a live view relayed by `swingcoach serve` on localhost."""
    import json

    from swingcoach.bench.live import run_live_bench

    result = run_live_bench(frames, fps)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    latency = result["latency_ms"] or {}
    seen = f"{result['frames_seen']} of {result['frames_sent']} frames seen at {fps:g} fps"
    percentiles = ", ".join(f"{p} {latency.get(p)} ms" for p in ("p50", "p90", "p99"))
    typer.echo(f"{seen} ({result['frame_kb']} kB each); capture to viewer: {percentiles}")
