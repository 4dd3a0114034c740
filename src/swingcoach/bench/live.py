"""`swingcoach bench live`: glass-to-viewer latency of a live view relayed by the server on localhost.

A device thread sends annotated frames (PUT /v1/live/NAME/frame, stamped with their capture time) at
the device's rate; a second account the stream is shared with watches the MJPEG view and notes, per
frame, how long after its capture it arrived."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from swingcoach.bench.server import BenchServer, machine, signed_in_accounts
from swingcoach.edge.sender import ServerClient


def mjpeg_parts(response: httpx.Response) -> Any:
    """(headers, jpeg) of each part of a multipart/x-mixed-replace body, as they arrive."""
    buffer = b""
    for chunk in response.iter_bytes():
        buffer += chunk
        while True:
            head_end = buffer.find(b"\r\n\r\n")
            if head_end < 0:
                break
            head = buffer[:head_end].decode("latin-1").split("\r\n")
            fields = dict(line.split(": ", 1) for line in head if ": " in line)
            length = int(fields["Content-Length"])
            if len(buffer) < head_end + 4 + length + 2:
                break
            yield fields, buffer[head_end + 4 : head_end + 4 + length]
            buffer = buffer[head_end + 4 + length + 2 :]


def run_live_bench(
    frames: int = 150, fps: float = 15.0, size: tuple[int, int] = (640, 360)
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        server = BenchServer(Path(tmp), "blazepose-lite", 1)
        try:
            latencies, frame_bytes = _measure(server, frames, fps, size)
        finally:
            server.stop()
    values = np.array(latencies) * 1000
    return {
        "machine": machine(),
        "frames_sent": frames + 5,
        "frames_seen": len(values),
        "fps": fps,
        "frame_kb": round(frame_bytes / 1024, 1),
        "latency_ms": {
            p: round(float(np.percentile(values, q)), 1) for p, q in (("p50", 50), ("p90", 90), ("p99", 99))
        }
        if len(values)
        else None,
    }


def _measure(server: BenchServer, frames: int, fps: float, size: tuple[int, int]) -> tuple[list[float], int]:
    owner, viewer = signed_in_accounts(server.url, 2)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        me = http.get("/v1/auth/me", headers={"Authorization": f"Bearer {owner['access_token']}"}).json()
        viewer_me = http.get(
            "/v1/auth/me", headers={"Authorization": f"Bearer {viewer['access_token']}"}
        ).json()
        http.put(
            "/v1/live/bench/viewers",
            json={"email": viewer_me["email"]},
            headers={"Authorization": f"Bearer {owner['access_token']}"},
        ).raise_for_status()
    device = ServerClient(server.url, token=owner["access_token"])
    image = np.random.default_rng(0).integers(0, 255, (*size[::-1], 3), dtype=np.uint8)
    jpeg = cv2.imencode(".jpg", cv2.GaussianBlur(image, (31, 31), 0), [cv2.IMWRITE_JPEG_QUALITY, 70])[
        1
    ].tobytes()
    latencies: list[float] = []
    watching = threading.Event()

    def watch() -> None:
        headers = {"Authorization": f"Bearer {viewer['access_token']}"}
        url = f"{server.url}/v1/live/{me['id']}/bench/view.mjpeg"
        with httpx.stream("GET", url, headers=headers, timeout=30) as response:
            response.raise_for_status()
            watching.set()
            for fields, _ in mjpeg_parts(response):
                latencies.append(time.time() - float(fields["X-Captured-At"]))
                if len(latencies) >= frames:
                    return

    device.request("PUT", "/v1/live/bench/frame", content=jpeg, headers={"Content-Type": "image/jpeg"})
    viewer_thread = threading.Thread(target=watch, daemon=True)
    viewer_thread.start()
    watching.wait(30)
    start = time.monotonic()
    for i in range(frames + 5):
        # The capture stamp is taken just before encoding and sending, as the device does.
        device.request(
            "PUT",
            "/v1/live/bench/frame",
            content=jpeg,
            headers={"Content-Type": "image/jpeg", "X-Captured-At": f"{time.time():.6f}"},
        )
        time.sleep(max(0.0, start + (i + 1) / fps - time.monotonic()))
    viewer_thread.join(30)
    device.close()
    return latencies, len(jpeg)
