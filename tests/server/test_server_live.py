"""Live views relayed by the running service: only the owner and the viewers they named may watch;
the frames arrive as MJPEG with their capture time."""

from __future__ import annotations

import threading
import time

import cv2
import httpx
import numpy as np
import pytest

from server.live_service import Client, Service
from swingcoach.bench.live import mjpeg_parts

JPEG = cv2.imencode(".jpg", np.full((48, 64, 3), 128, np.uint8))[1].tobytes()


def send(client: Client, name: str, jpeg: bytes = JPEG, captured_at: float | None = None) -> httpx.Response:
    headers = {"Content-Type": "image/jpeg"}
    if captured_at is not None:
        headers["X-Captured-At"] = f"{captured_at:.6f}"
    return client.http.put(f"/v1/live/{name}/frame", content=jpeg, headers=headers)


def first_frame(
    service: Service, viewer: Client, owner_id: str, name: str, publish: Client
) -> tuple[dict, bytes]:
    """Watch the stream while the owner keeps sending; the first part that arrives."""
    stop = threading.Event()

    def keep_sending() -> None:
        while not stop.is_set():
            send(publish, name, captured_at=time.time())
            time.sleep(0.05)

    sender = threading.Thread(target=keep_sending, daemon=True)
    sender.start()
    try:
        headers = {"Authorization": viewer.http.headers["Authorization"]}
        with httpx.stream(
            "GET", f"{service.url}/v1/live/{owner_id}/{name}/view.mjpeg", headers=headers, timeout=30
        ) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("multipart/x-mixed-replace")
            return next(mjpeg_parts(r))
    finally:
        stop.set()
        sender.join()


@pytest.fixture(scope="module")
def accounts(embedded: Service) -> tuple[Client, Client, Client]:
    return embedded.client(), embedded.client(), embedded.client()


def test_the_owner_and_a_named_viewer_watch_others_get_403(
    embedded: Service, accounts: tuple[Client, ...]
) -> None:
    owner, friend, stranger = accounts
    assert send(owner, "mat").status_code == 204
    fields, jpeg = first_frame(embedded, owner, owner.user_id, "mat", owner)
    assert jpeg == JPEG and abs(float(fields["X-Captured-At"]) - time.time()) < 10
    url = f"/v1/live/{owner.user_id}/mat/view.mjpeg"
    assert friend.http.get(url).status_code == 403
    assert stranger.http.get(f"/v1/live/{owner.user_id}/no-such-stream/view.mjpeg").status_code == 403
    assert owner.http.put("/v1/live/mat/viewers", json={"email": friend.email}).status_code == 204
    assert owner.http.get("/v1/live/mat/viewers").json() == [friend.email]
    assert friend.http.get("/v1/live").json()["shared_with_me"] == [
        {"owner_id": owner.user_id, "stream": "mat"}
    ]
    _, jpeg = first_frame(embedded, friend, owner.user_id, "mat", owner)
    assert jpeg == JPEG
    assert stranger.http.get(url).status_code == 403
    # Sharing is the owner's: a stranger naming themselves on the owner's stream shares their own.
    assert stranger.http.put("/v1/live/mat/viewers", json={"email": stranger.email}).status_code == 204
    assert stranger.http.get(url).status_code == 403
    assert owner.http.delete(f"/v1/live/mat/viewers/{friend.email}").status_code == 204
    assert friend.http.get(url).status_code == 403


def test_a_stranger_cannot_send_into_someone_elses_stream(
    embedded: Service, accounts: tuple[Client, ...]
) -> None:
    owner, _, stranger = accounts
    forged = cv2.imencode(".jpg", np.zeros((48, 64, 3), np.uint8))[1].tobytes()
    assert send(stranger, "garden", forged).status_code == 204  # it lands in the stranger's own stream
    _, jpeg = first_frame(embedded, owner, owner.user_id, "garden", owner)
    assert jpeg == JPEG
    assert "garden" in stranger.http.get("/v1/live").json()["mine"]


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (b"GIF89a...", "image/jpeg", 415),
        (JPEG, "image/png", 415),
        (b"\xff\xd8" + b"0" * (1024 * 1024), "image/jpeg", 413),
    ],
)
def test_bad_frames_are_refused(
    accounts: tuple[Client, ...], body: bytes, content_type: str, code: int
) -> None:
    owner = accounts[0]
    answer = owner.http.put("/v1/live/cam/frame", content=body, headers={"Content-Type": content_type})
    assert answer.status_code == code, answer.text


def test_stream_names_and_viewer_emails_are_bounded(accounts: tuple[Client, ...]) -> None:
    owner = accounts[0]
    assert send(owner, "x" * 65).status_code == 422
    assert send(owner, "a%20b").status_code == 422
    assert owner.http.put("/v1/live/mat/viewers", json={"email": "not an email"}).status_code == 422
    anonymous = httpx.Client(base_url=str(owner.http.base_url))
    assert (
        anonymous.put("/v1/live/mat/frame", content=JPEG, headers={"Content-Type": "image/jpeg"}).status_code
        == 401
    )
    assert anonymous.get(f"/v1/live/{owner.user_id}/mat/view.mjpeg").status_code == 401


def test_the_device_streams_its_annotated_view(embedded: Service, accounts: tuple[Client, ...]) -> None:
    from tests.posture.poses import stick_figure
    from tests.posture.test_posture_edge import ScriptedPose, frames

    from swingcoach.edge.live_stream import LiveStream
    from swingcoach.edge.posture_device import PostureDevice
    from swingcoach.edge.sender import ServerClient

    owner = accounts[0]
    token = owner.http.headers["Authorization"].removeprefix("Bearer ")
    stream = LiveStream(ServerClient(embedded.url, token=token), "yoga-mat", max_fps=30)
    device = PostureDevice(ScriptedPose(np.stack([stick_figure()] * 300)), "yoga", 30.0, stream=stream)
    stop = threading.Event()

    def run() -> None:
        for frame in frames(300):
            if stop.is_set():
                return
            device.step(frame)
            time.sleep(1 / 30)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    try:
        headers = {"Authorization": owner.http.headers["Authorization"]}
        url = f"{embedded.url}/v1/live/{owner.user_id}/yoga-mat/view.mjpeg"
        with httpx.stream("GET", url, headers=headers, timeout=30) as response:
            _, jpeg = next(mjpeg_parts(response))
    finally:
        stop.set()
        runner.join()
        stream.close()
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (480, 640, 3) and image.any()  # the skeleton and the caption are drawn
    assert stream.sent > 0 and stream.failed == 0
