"""Live view: the camera as an MJPEG stream over HTTP, with the skeleton, a guidance box showing
where to stand, a message for the golfer and the frame rates.

Any browser shows `http://<device>:<port>/` (an `<img>` of `/stream.mjpg`); `/snapshot.jpg` is one
frame. Frames are drawn and JPEG-encoded only while somebody is watching.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

from swingcoach.report.draw import draw_label, draw_skeleton
from swingcoach.swing.detect import State

BOUNDARY = b"frame"
PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>swingcoach live</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{margin:0;background:#111;display:flex;justify-content:center}img{max-width:100vw;max-height:100vh}</style>
</head><body><img src="/stream.mjpg" alt="live view"></body></html>"""

GREEN, AMBER, RED = (80, 200, 80), (0, 190, 255), (60, 60, 230)
BOX_INSIDE = 0.9  # share of the visible keypoints that must be inside the guidance box


class RateMeter:
    """Events per second over the last `window_s` seconds."""

    def __init__(self, window_s: float = 1.0) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()

    def tick(self, now: float) -> None:
        self._times.append(now)
        while self._times[0] < now - self.window_s:
            self._times.popleft()

    def rate(self, now: float) -> float:
        while self._times and self._times[0] < now - self.window_s:
            self._times.popleft()
        return len(self._times) / self.window_s


def guidance_box(width: int, height: int) -> tuple[int, int, int, int]:
    """Where the golfer should stand: centred, most of the height, wide enough for the club."""
    box_w = min(0.75 * height, 0.9 * width)
    x0, y0 = (width - box_w) / 2, 0.04 * height
    return round(x0), round(y0), round(x0 + box_w), round(0.96 * height)


def in_box(keypoints: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    visible = keypoints[~np.isnan(keypoints[:, 0]) & (keypoints[:, 2] > 0.3), :2]
    if len(visible) == 0:
        return False
    x0, y0, x1, y1 = box
    inside = (visible[:, 0] >= x0) & (visible[:, 0] <= x1) & (visible[:, 1] >= y0) & (visible[:, 1] <= y1)
    return bool(inside.mean() >= BOX_INSIDE)


@dataclass(frozen=True)
class Guidance:
    message: str
    color: tuple[int, int, int]


def guidance(state: State, keypoints: np.ndarray | None, box_ok: bool, just_saved: bool) -> Guidance:
    if just_saved:
        return Guidance("swing saved", GREEN)
    if keypoints is None:
        return Guidance("step into the frame", RED)
    if not box_ok:
        return Guidance("step into the box", RED)
    return {
        State.IDLE: Guidance("take your address", AMBER),
        State.ADDRESS: Guidance("address", GREEN),
        State.SWING: Guidance("swing", GREEN),
        State.FINISH: Guidance("finish", GREEN),
    }[state]


def draw_overlay(
    image: np.ndarray,
    keypoints: np.ndarray | None,
    box: tuple[int, int, int, int],
    advice: Guidance,
    camera_fps: float,
    pose_fps: float,
) -> np.ndarray:
    """A copy of the frame with the guidance box, skeleton, message and rates drawn on it."""
    canvas = image.copy()
    x0, y0, x1, y1 = box
    cv2.rectangle(canvas, (x0, y0), (x1, y1), advice.color, max(2, round(max(canvas.shape[:2]) / 320)))
    draw_skeleton(canvas, keypoints)
    draw_label(canvas, advice.message, (x0 + 8, y0 + 28), scale=0.8, color=advice.color)
    draw_label(
        canvas, f"camera {camera_fps:.0f} fps  pose {pose_fps:.0f} fps", (8, canvas.shape[0] - 12), 0.5
    )
    return canvas


class LiveView:
    """An MJPEG server on its own threads; the device calls `publish` with each shown frame."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8090, quality: int = 80) -> None:
        self.quality = quality
        self._condition = threading.Condition()
        self._jpeg: bytes | None = None
        self._sequence = 0
        self._watchers = 0
        self._closed = False
        self._server = _Server((host, port), _Handler)  # OSError when the port is taken
        self._server.view = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-view", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def sequence(self) -> int:
        return self._sequence

    @property
    def watched(self) -> bool:
        return self._watchers > 0

    def publish(self, image: np.ndarray) -> None:
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            return
        with self._condition:
            self._jpeg = encoded.tobytes()
            self._sequence += 1
            self._condition.notify_all()

    @contextmanager
    def watcher(self) -> Iterator[None]:
        with self._condition:
            self._watchers += 1
        try:
            yield
        finally:
            with self._condition:
                self._watchers -= 1

    def next_frame(self, after: int, timeout_s: float) -> tuple[int, bytes] | None:
        """The first frame published after number `after`; None on timeout or when closing."""
        deadline = time.monotonic() + timeout_s
        with self._condition:
            while self._sequence <= after and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._condition.wait(remaining)
            if self._closed or self._jpeg is None:
                return None
            return self._sequence, self._jpeg

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self._server.shutdown()
        self._server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    view: LiveView


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet: no line per request
        pass

    def do_GET(self) -> None:
        view = self.server.view
        if self.path in ("/", "/index.html"):
            self._reply(200, "text/html; charset=utf-8", PAGE)
        elif self.path == "/snapshot.jpg":
            with view.watcher():  # frames are only made while watched: wait for a fresh one
                frame = view.next_frame(view.sequence, timeout_s=5.0)
            if frame is None:
                self._reply(503, "text/plain", b"no frame yet\n")
            else:
                self._reply(200, "image/jpeg", frame[1])
        elif self.path == "/stream.mjpg":
            self._stream(view)
        else:
            self._reply(404, "text/plain", b"not found\n")

    def _reply(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, view: LiveView) -> None:
        self.send_response(200)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        sequence = view.sequence
        with view.watcher():
            while not view.closed:
                frame = view.next_frame(sequence, timeout_s=1.0)
                if frame is None:
                    continue
                sequence, jpeg = frame
                head = b"--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % (
                    BOUNDARY,
                    len(jpeg),
                )
                try:
                    self.wfile.write(head + jpeg + b"\r\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
