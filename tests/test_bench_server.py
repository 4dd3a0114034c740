"""`swingcoach bench server`: the parts that decide its figures (the full run is a benchmark)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

pytest.importorskip("psutil")

from swingcoach.bench.server import FULL, MIN_SWINGS, QUICK, CpuMeter, device_window_s

SPIN = "import time\nend = time.process_time() + 1.0\nwhile time.process_time() < end: pass\n"


def test_windows_hold_enough_swings_for_a_p99_within_bounds() -> None:
    for plan in (QUICK, FULL):
        shortest, longest = plan.device_window_s
        for rate in plan.device_steps:
            window = device_window_s(plan, rate)
            assert shortest <= window <= longest
            assert window * rate >= MIN_SWINGS or window == longest
    assert device_window_s(FULL, 66.7) * 66.7 >= MIN_SWINGS  # the 2,000-golfer step


def test_cpu_meter_counts_the_api_processes_a_server_starts() -> None:
    """`serve --processes N` does its work in child processes: they count as the server's."""
    parent = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {SPIN!r}])"]
    )
    meter = CpuMeter(parent.pid, every_s=0.05)
    meter.start()
    started = time.time()
    parent.wait(timeout=30)
    meter.stop()
    # The child spun for 1 CPU second; the parent only waited. Samples stop when the child exits.
    assert meter.at(time.time()) - meter.at(started) >= 0.5
