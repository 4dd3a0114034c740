"""Describe the machine a benchmark ran on: CPU, cores, memory, OS, Python, runtime versions, load.

Standard library only: the device kit (`swingcoach export device-kit`) carries this file next to its
benchmark script, so a Raspberry Pi or a phone under Termux describes itself the same way.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

# Distributions whose versions decide the speed figures (the runtimes and the video/image stack).
RUNTIME_PACKAGES = (
    "numpy",
    "onnxruntime",
    "ai-edge-litert",
    "tflite-runtime",
    "opencv-python-headless",
    "av",
)
# Android properties naming the phone and its chip (read with `getprop`, present under Termux).
ANDROID_PROPERTIES = {
    "model": "ro.product.model",
    "manufacturer": "ro.product.manufacturer",
    "soc": "ro.soc.model",
    "android": "ro.build.version.release",
}


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def _cpuinfo_field(*names: str) -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        key, _, value = line.partition(":")
        if key.strip() in names and value.strip():
            return value.strip()
    return ""


def _command(*args: str) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def cpu_model() -> str:
    """x86 'model name'; on ARM boards the board model (Raspberry Pi) or the SoC; on macOS the brand."""
    return (
        _cpuinfo_field("model name")
        or _read("/proc/device-tree/model").strip("\x00\n ")
        or _cpuinfo_field("Hardware", "Model")
        or _command("sysctl", "-n", "machdep.cpu.brand_string")
        or platform.processor()
        or platform.machine()
    )


def memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def usable_cores() -> int:
    """Cores this process may run on (a container or taskset can allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def cpu_max_mhz() -> float | None:
    khz = _read("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").strip()
    return int(khz) / 1000 if khz.isdigit() else None


def package_versions(names: tuple[str, ...] = RUNTIME_PACKAGES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def android_properties() -> dict[str, str]:
    if not Path("/system/build.prop").exists() and "ANDROID_ROOT" not in os.environ:
        return {}
    found = {key: _command("getprop", prop) for key, prop in ANDROID_PROPERTIES.items()}
    return {key: value for key, value in found.items() if value}


def load_average() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux: VmHWM, which starts afresh in a new program;
    getrusage's maximum would carry over the parent's peak into a spawned child."""
    for line in _read("/proc/self/status").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, else KiB


def describe_machine() -> dict:
    """What a reader needs to judge the figures: the hardware, the software, and how busy it was."""
    memory = memory_bytes()
    description = {
        "hostname": platform.node(),
        "cpu": cpu_model(),
        "architecture": platform.machine(),
        "cores": os.cpu_count(),
        "usable_cores": usable_cores(),
        "cpu_max_mhz": cpu_max_mhz(),
        "memory_gb": None if memory is None else round(memory / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": package_versions(),
        "load_average": load_average(),
    }
    android = android_properties()
    if android:
        description["android"] = android
    return description


def summary(machine: dict) -> str:
    """One line: 'Intel Xeon, 2 cores, 23.4 GB, Linux-6.1-x86_64, Python 3.11.2'."""
    parts = [
        machine["cpu"],
        f"{machine['cores']} cores",
        f"{machine['memory_gb']} GB RAM" if machine.get("memory_gb") else None,
        machine["os"],
        f"Python {machine['python']}",
    ]
    return ", ".join(p for p in parts if p)
