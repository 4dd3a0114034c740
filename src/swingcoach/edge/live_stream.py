"""The device's annotated live view, sent to the server frame by frame (PUT /v1/live/NAME/frame) so
its owner and the viewers they named watch it from anywhere. Only the newest frame waits: a slow
link drops frames, it never builds a backlog."""

from __future__ import annotations

import logging
import threading
import time

import cv2
import httpx
import numpy as np

from swingcoach.edge.sender import AuthError, ServerClient

log = logging.getLogger(__name__)


class LiveStream:
    def __init__(self, client: ServerClient, name: str, max_fps: float = 15.0, quality: int = 70) -> None:
        self.client, self.name, self.quality = client, name, quality
        self.min_interval_s = 1.0 / max_fps
        self._latest: tuple[np.ndarray, float] | None = None
        self._ready = threading.Condition()
        self._stopped = False
        self.sent = self.failed = 0
        self._thread = threading.Thread(target=self._run, name="live-stream", daemon=True)
        self._thread.start()

    def offer(self, image_bgr: np.ndarray, captured_at: float | None = None) -> None:
        """The frame just shown (with the time it was captured, epoch seconds)."""
        with self._ready:
            self._latest = (image_bgr, time.time() if captured_at is None else captured_at)
            self._ready.notify()

    def _run(self) -> None:
        last = 0.0
        while True:
            with self._ready:
                while self._latest is None and not self._stopped:
                    self._ready.wait()
                if self._stopped:
                    return
                image, captured_at = self._latest  # type: ignore[misc]
                self._latest = None
            ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
            if not ok:
                continue
            try:
                response = self.client.request(
                    "PUT",
                    f"/v1/live/{self.name}/frame",
                    content=jpeg.tobytes(),
                    headers={"Content-Type": "image/jpeg", "X-Captured-At": f"{captured_at:.6f}"},
                )
                self.sent += response.status_code == 204
                self.failed += response.status_code != 204
            except (httpx.HTTPError, AuthError) as error:
                self.failed += 1
                log.warning("live stream: %s", error)
            wait = self.min_interval_s - (time.monotonic() - last)
            if wait > 0:
                time.sleep(wait)
            last = time.monotonic()

    def close(self) -> None:
        with self._ready:
            self._stopped = True
            self._ready.notify()
        self._thread.join(timeout=5)
