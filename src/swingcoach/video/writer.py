"""H.264 mp4 writing (PyAV/libx264), so clips and annotated videos play in every browser."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from swingcoach.video.source import Closeable


class VideoWriter(Closeable):
    def __init__(self, path: Path, fps: float, width: int, height: int, crf: int = 23) -> None:
        # faststart puts the index first, so browsers and HTTP readers can play while downloading.
        self._container = av.open(str(path), mode="w", options={"movflags": "+faststart"})
        rate = Fraction(fps).limit_denominator(1001)
        self._stream = self._container.add_stream("libx264", rate=rate)
        # yuv420p needs even sides; frames are padded by one pixel where needed.
        self._stream.width = width + width % 2
        self._stream.height = height + height % 2
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(crf), "preset": "veryfast"}

    def write(self, image_bgr: np.ndarray) -> None:
        if image_bgr.shape[:2] != (self._stream.height, self._stream.width):
            padded = np.zeros((self._stream.height, self._stream.width, 3), dtype=np.uint8)
            padded[: image_bgr.shape[0], : image_bgr.shape[1]] = image_bgr
            image_bgr = padded
        frame = av.VideoFrame.from_ndarray(image_bgr, format="bgr24")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
