"""Decoded frames stay off glibc's heap: each frame-sized buffer is mapped and unmapped whole, so a
long session's heap cannot swell with frame-sized holes (video/heap.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# After one frame-sized buffer is freed, where does the next one come from: the heap or a mapping?
_PROBE = """
import sys
import numpy as np
if sys.argv[1] == "pinned":
    from swingcoach.video.source import FileSource
    FileSource(sys.argv[2]).close()
np.ones((1920, 1080, 3), np.uint8).sum()  # allocated and freed: glibc raises its threshold
frames = [np.ones((1920, 1080, 3), np.uint8) for _ in range(3)]
heap = next(line for line in open("/proc/self/maps") if line.rstrip().endswith("[heap]"))
start, end = (int(x, 16) for x in heap.split()[0].split("-"))
print(sum(start <= f.ctypes.data < end for f in frames))
"""


def frames_on_the_heap(mode: str, video: Path) -> int:
    command = [sys.executable, "-c", _PROBE, mode, str(video)]
    return int(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_frame_buffers_are_mapped_not_carved_from_the_heap(demo_video: Path) -> None:
    assert frames_on_the_heap("default", demo_video) >= 1, "glibc's own behaviour, which we avoid"
    assert frames_on_the_heap("pinned", demo_video) == 0
