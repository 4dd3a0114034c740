"""`swingcoach bench uploads`: what a normal and a pathological upload cost the analysing process.

Each case gets a fresh `swingcoach serve` (embedded: the API and the job worker are one process),
so its peak RSS (VmHWM) is that upload's alone on top of the started service. The uploads are made
here, small because they are flat colour:
- the demo swing (a normal upload, analysed);
- a 4K clip (3840x2160, the largest frame allowed by default: decoded, no person in it);
- 8192x8192, 10 frames (~30 kB): refused from its header, before a frame is decoded;
- 64x64 flat, 120 s (~100 kB): refused from its header;
- 64x64 flat, 90 s, streamed (its header says neither duration nor frame count): decoded by the
  worker until the decoded time passes the limit, then failed;
- an AVI whose header says 64x64 with 8192x8192 frames after the first 60: FFmpeg's `max_pixels`
  refuses to allocate them, the job fails.
Per case: the answer to the upload, the job's outcome, the worker's seconds on it and the RSS.
"""

from __future__ import annotations

import io
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import httpx

from swingcoach.bench.server import REPO_VIDEO, BenchServer, machine, signed_in_accounts

FINISHED = ("done", "failed", "dead", "cancelled")


class _Pipe(io.RawIOBase):
    """A file that cannot seek: the muxer cannot go back to write the duration into the header."""

    def __init__(self, out: io.BufferedWriter) -> None:
        self.out = out

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self.out.write(data)


# One encoder thread, no lookahead: encoding an 8192x8192 frame then takes ~1.3 GB, not ~4 GB.
ENCODER_OPTIONS = {"threads": "1", "rc-lookahead": "0", "bf": "0", "refs": "1"}


def _flat_frames(encoder: Any, width: int, height: int, count: int) -> list[av.Packet]:
    """`count` flat grey frames through an encoder (a stream's or a bare codec context)."""
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane in frame.planes:
        plane.update(bytes([40]) * plane.buffer_size)
    packets = []
    for index in range(count):
        frame.pts = index
        packets += encoder.encode(frame)
    return packets + encoder.encode(None)


def flat_video(
    path: Path, width: int, height: int, frames: int, fps: int = 30, streamed: bool = False
) -> Path:
    """A flat grey H.264 video (mp4, or matroska when `streamed`: no duration in its header)."""
    with path.open("wb") as out:
        target = _Pipe(out) if streamed else out
        with av.open(target, mode="w", format="matroska" if streamed else "mp4") as container:
            stream = container.add_stream("libx264", rate=Fraction(fps), options=ENCODER_OPTIONS)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for packet in _flat_frames(stream, width, height, frames):
                container.mux(packet)
    return path


def lying_video(path: Path, small: int = 64, frames: int = 60, huge: int = 8192) -> Path:
    """An AVI whose header says small x small, holding `frames` such frames and then 5 of huge x huge:
    H.264 carries each frame's size in the stream itself; nothing checks it against the header."""
    packets = []
    for size, count in ((small, frames), (huge, 5)):
        encoder = av.CodecContext.create("libx264", "w")
        encoder.width, encoder.height, encoder.pix_fmt = size, size, "yuv420p"
        encoder.time_base, encoder.options = Fraction(1, 30), ENCODER_OPTIONS
        packets += _flat_frames(encoder, size, size, count)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("h264", rate=30)  # only the header: no encoder behind it
        stream.width, stream.height, stream.pix_fmt = small, small, "yuv420p"
        for index, packet in enumerate(packets):
            packet.stream, packet.time_base, packet.pts, packet.dts = stream, Fraction(1, 30), index, index
            container.mux(packet)
    return path


@dataclass(frozen=True)
class UploadCase:
    name: str
    bytes: int
    status: int  # the upload's HTTP answer
    answer_ms: float
    job: str | None  # the job's final status
    error: str | None
    worker_s: float | None
    rss_start_mib: float
    peak_rss_mib: float


def _memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (the peak) of a process, MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {name: int(fields[name].split()[0]) / 1024 for name in ("VmRSS", "VmHWM")}


def run_case(name: str, video: Path, workdir: Path, pose_backend: str) -> UploadCase:
    server = BenchServer(workdir, pose_backend, video_workers=1)
    try:
        start = _memory(server.process.pid)
        (account,) = signed_in_accounts(server.url, 1)
        with httpx.Client(base_url=server.url, timeout=300) as client:
            client.headers["Authorization"] = f"Bearer {account['access_token']}"
            started = time.perf_counter()
            answer = client.post("/v1/swings/video", files={"file": (video.name, video.read_bytes())})
            answer_ms = (time.perf_counter() - started) * 1000
            job: dict[str, Any] | None = None
            if answer.status_code == 202:
                job_id = answer.json()["job_id"]
                while (job := client.get(f"/v1/jobs/{job_id}").json())["status"] not in FINISHED:
                    time.sleep(0.5)
        worker_s = None
        if job is not None and job["started_at"] and job["finished_at"]:
            started_at, finished_at = (datetime.fromisoformat(job[k]) for k in ("started_at", "finished_at"))
            worker_s = round((finished_at - started_at).total_seconds(), 2)
        return UploadCase(
            name=name,
            bytes=video.stat().st_size,
            status=answer.status_code,
            answer_ms=round(answer_ms, 1),
            job=None if job is None else job["status"],
            error=answer.json().get("detail") if job is None else job["error"],
            worker_s=worker_s,
            rss_start_mib=round(start["VmRSS"], 1),
            peak_rss_mib=round(_memory(server.process.pid)["VmHWM"], 1),
        )
    finally:
        server.stop()


def bench_uploads(pose_backend: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="swingcoach-bench-uploads-") as folder:
        root = Path(folder)
        videos = {
            "demo swing (normal)": REPO_VIDEO,
            "4K 3840x2160, 2 s": flat_video(root / "4k.mp4", 3840, 2160, 60),
            "8192x8192, 10 frames": flat_video(root / "huge.mp4", 8192, 8192, 10),
            "64x64 flat, 120 s": flat_video(root / "long.mp4", 64, 64, 120 * 30),
            "64x64, 90 s, no duration in header": flat_video(
                root / "streamed.mkv", 64, 64, 90 * 30, streamed=True
            ),
            "header 64x64, then 8192x8192 frames": lying_video(root / "lying.avi"),
        }
        cases = []
        for index, (name, video) in enumerate(videos.items()):
            workdir = root / f"case-{index}"
            workdir.mkdir()
            cases.append(asdict(run_case(name, video, workdir, pose_backend)))
    return {"machine": machine(), "pose_backend": pose_backend, "cases": cases}
