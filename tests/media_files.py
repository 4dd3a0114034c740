"""Files the tests share: fixture paths and a video writer. A module of its own, not conftest:
tests/ and tests/web/ both have a conftest, and `from conftest import ...` would get whichever
was imported last."""

from __future__ import annotations

from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
DEMO_VIDEO = REPO / "examples" / "golfdb_demo.mp4"


def write_video(
    path: Path, frames: list[np.ndarray], fps: float = 30.0, codec: str = "libx264", rotation: int = 0
) -> Path:
    """Encode BGR frames to a video file with PyAV (any container its extension names)."""
    from fractions import Fraction

    import av

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        h, w = frames[0].shape[:2]
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
