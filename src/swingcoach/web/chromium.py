"""Debian's Chromium and the flags the browser tests and `swingcoach bench browser-pose` run it with, and
the fake camera's video file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import av

CHROMIUM = os.environ.get("SWINGCOACH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def write_y4m(video: Path, out: Path) -> Path:
    """Decode a video into an uncompressed YUV4MPEG2 file, the format Chromium's fake camera plays."""
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate
        with out.open("wb") as f:
            header_written = False
            for frame in container.decode(stream):
                planes = frame.reformat(format="yuv420p").to_ndarray()  # (H * 3/2, W): Y, then U, V
                if not header_written:
                    height, width = frame.height, frame.width
                    rate_text = f"{rate.numerator}:{rate.denominator}"
                    f.write(f"YUV4MPEG2 W{width} H{height} F{rate_text} Ip A1:1 C420jpeg\n".encode())
                    header_written = True
                f.write(b"FRAME\n" + planes.tobytes())
    return out
