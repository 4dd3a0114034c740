"""Frame-sized buffers straight from the OS and back.

glibc serves a large allocation with its own mmap and returns it on free, but after the first such
free it raises that threshold to the freed size, so every later decoded frame (6 MB at 1080x1920)
is carved out of the heap instead. Small long-lived objects made in between (poses, analyses) then
pin the holes, and under CPU contention the heap of an hour-long `analyze` swelled by up to 300 MB
for seconds at a time (docs/benchmarks.md, Long sessions). A fixed threshold keeps frames out of
the heap: each is mapped and unmapped whole, and the heap holds only small objects.
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache

M_MMAP_THRESHOLD = -3  # mallopt's parameter (malloc.h)
FRAME_MMAP_BYTES = 2 * 1024 * 1024  # below a 720p BGR frame (2.8 MB), above a model's crop


@cache
def keep_frames_off_the_heap() -> bool:
    """Pin glibc's mmap threshold at FRAME_MMAP_BYTES, once per process; whether it was set (not
    on other C libraries, which have no such knob)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, FRAME_MMAP_BYTES))
