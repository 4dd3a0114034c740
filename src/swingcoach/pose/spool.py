"""A session's poses on disk as they come, so memory does not grow with the length of the video.

Rows are appended as raw float32 (17, 3) blocks to a scratch file; they are read back in order (the
annotated video's pass) and written into the report's `poses.npz` chunk by chunk, with the same
arrays `PoseSequence.save` writes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from swingcoach.pose.skeleton import NUM_KEYPOINTS

ROW = (NUM_KEYPOINTS, 3)
ROW_BYTES = NUM_KEYPOINTS * 3 * 4
CHUNK_ROWS = 4096


class PoseSpool:
    def __init__(self, directory: Path, with_world: bool) -> None:
        self._paths = {"keypoints": directory / "keypoints.f32"}
        if with_world:
            self._paths["world"] = directory / "world.f32"
        self._files = {name: path.open("wb") for name, path in self._paths.items()}
        self.rows = 0

    @property
    def with_world(self) -> bool:
        return "world" in self._paths

    def append(self, keypoints: np.ndarray, world: np.ndarray | None = None) -> None:
        """Rows (n, 17, 3) of keypoints and, when the spool keeps them, the matching world rows."""
        blocks = {"keypoints": keypoints, "world": world}
        for name, file in self._files.items():
            block = blocks[name]
            if block is None:
                block = np.full(keypoints.shape, np.nan, dtype=np.float32)
            file.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
        self.rows += len(keypoints)

    def _flush(self) -> None:
        for file in self._files.values():
            file.flush()

    def _chunks(self, name: str) -> Iterator[np.ndarray]:
        self._flush()
        with self._paths[name].open("rb") as file:
            while data := file.read(CHUNK_ROWS * ROW_BYTES):
                yield np.frombuffer(data, dtype="<f4").reshape(-1, *ROW)

    def keypoints(self) -> Iterator[np.ndarray]:
        """Every row's keypoints, in order, one (17, 3) array at a time."""
        for chunk in self._chunks("keypoints"):
            yield from chunk

    def save_npz(self, path: Path, fps: float, width: int, height: int) -> None:
        """`poses.npz` as `PoseSequence.save` writes it (loadable with `PoseSequence.load`)."""
        small = {
            "fps": np.float64(fps),
            "size": np.array([width, height]),
            "frame_indices": np.arange(self.rows, dtype=np.int64),
        }
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for name in self._paths:
                with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    header = {"descr": "<f4", "fortran_order": False, "shape": (self.rows, *ROW)}
                    np.lib.format.write_array_header_2_0(member, header)
                    for chunk in self._chunks(name):
                        member.write(chunk.tobytes())
            for name, array in small.items():
                with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array)

    def close(self) -> None:
        for file in self._files.values():
            file.close()
