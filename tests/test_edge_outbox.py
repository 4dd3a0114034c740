"""The outbox and its sender, against the real `swingcoach serve` (embedded: SQLite in a tmp dir)
in a subprocess: delivery, idempotent resends, rejected payloads, and no swing lost or duplicated
through server outages and a killed client."""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import numpy as np
import pytest

from media_files import write_video
from swingcoach.edge.outbox import Outbox
from swingcoach.edge.sender import AuthError, Backoff, Sender, ServerClient
from swingcoach.pose.base import PoseSequence
from swingcoach.schemas import SwingPayload

EMAIL, PASSWORD = "golfer@example.com", "a long enough password"
START_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`swingcoach serve` on a free port with its data in a tmp dir; stop and start at will."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / "server.log"

    def start(self) -> None:
        command = [sys.executable, "-m", "swingcoach", "serve", "--port", str(self.port)]
        command += ["--data-dir", str(self.data_dir)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-2000:]
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server did not start: {self.log.read_text()[-2000:]}")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        self.process.wait(timeout=30)
        self.process = None

    def token(self) -> str:
        response = httpx.post(f"{self.url}/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        return response.json()["access_token"]

    def swing_ids(self) -> list[str]:
        headers = {"Authorization": f"Bearer {self.token()}"}
        ids: list[str] = []
        while True:
            page = httpx.get(
                f"{self.url}/v1/swings", params={"limit": 100, "offset": len(ids)}, headers=headers
            ).json()
            ids += [item["id"] for item in page["items"]]
            if not page["items"] or len(ids) >= page["total"]:
                return ids


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("server") / "data")
    running.start()
    response = httpx.post(f"{running.url}/v1/auth/register", json={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 202, response.text
    yield running
    if running.process is not None:
        running.stop()


def swing_payloads(sequence: PoseSequence, count: int, seed: int = 0) -> list[SwingPayload]:
    """Real swings of different lengths: the demo swing cut at random points before its address
    (~frame 70) and after its finish (~frame 190)."""
    rng = random.Random(seed)
    payloads = []
    for _ in range(count):
        start, stop = rng.randrange(0, 50), rng.randrange(215, len(sequence) + 1)
        payloads.append(SwingPayload.from_sequence(uuid.uuid4(), sequence.slice(start, stop), device="test"))
    return payloads


def make_sender(server: Server, outbox: Outbox, **credentials: str) -> Sender:
    client = ServerClient(server.url, **(credentials or {"email": EMAIL, "password": PASSWORD}))
    return Sender(outbox, client, Backoff(0.05, 0.5))


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    backoff = Backoff(1.0, 30.0, random.Random(1))
    delays = [backoff.next_delay() for _ in range(8)]
    for n, delay in enumerate(delays):
        ceiling = min(30.0, 2.0**n)
        assert 0.5 * ceiling <= delay <= ceiling
    assert len(set(delays)) == len(delays)  # jittered: never the same instant twice
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_outbox_keeps_order_and_status(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "library.sqlite")
    outbox.add("a", "payload", "{}")
    outbox.add("b", "payload", "{}")
    outbox.add("a", "payload", "{}")  # queued twice by mistake: still one row
    first = outbox.next_pending()
    assert first is not None and first.swing_id == "a"
    outbox.attempt_failed(first, 503, "503: busy")
    assert outbox.next_pending() == first.__class__("a", "payload", "{}", 1)
    outbox.delivered(first, 201)
    second = outbox.next_pending()
    assert second is not None and second.swing_id == "b"
    outbox.failed(second, 422, "422: bad")
    assert outbox.next_pending() is None
    assert outbox.counts() == {"pending": 0, "delivered": 1, "failed": 1}
    assert outbox.status_of("b") == {"payload": ("failed", "422: bad")}


def test_delivery_is_idempotent_and_bad_payloads_fail_with_the_server_message(
    server: Server, tmp_path: Path, demo_poses: PoseSequence
) -> None:
    outbox = Outbox(tmp_path / "library.sqlite")
    good = swing_payloads(demo_poses, 1, seed=1)[0]
    no_swing = SwingPayload.from_sequence(uuid.uuid4(), demo_poses.slice(0, 40))  # standing at address
    outbox.add(str(good.swing_id), "payload", good.model_dump_json())
    outbox.add(str(no_swing.swing_id), "payload", no_swing.model_dump_json())
    sender = make_sender(server, outbox)
    sender.drain(timeout_s=60)
    assert outbox.status_of(str(good.swing_id))["payload"][0] == "delivered"
    status, message = outbox.status_of(str(no_swing.swing_id))["payload"]
    assert status == "failed" and message is not None and message.startswith("422")
    # The device lost its commit and sends again: the server answers 200 and keeps one swing.
    again = Outbox(tmp_path / "again.sqlite")
    again.add(str(good.swing_id), "payload", good.model_dump_json())
    make_sender(server, again).drain(timeout_s=60)
    assert again.counts()["delivered"] == 1
    assert server.swing_ids().count(str(good.swing_id)) == 1


def test_a_refused_token_is_renewed_by_logging_in(
    server: Server, tmp_path: Path, demo_poses: PoseSequence
) -> None:
    outbox = Outbox(tmp_path / "library.sqlite")
    first, second = swing_payloads(demo_poses, 2, seed=2)
    outbox.add(str(first.swing_id), "payload", first.model_dump_json())
    make_sender(server, outbox, token="expired-or-forged", email=EMAIL, password=PASSWORD).drain(timeout_s=60)
    assert outbox.counts()["delivered"] == 1
    outbox.add(str(second.swing_id), "payload", second.model_dump_json())
    item = outbox.next_pending()
    assert item is not None
    with pytest.raises(AuthError, match="no account"):
        make_sender(server, outbox, token="expired-or-forged").deliver(item)
    assert outbox.next_pending() == item  # still queued for when the device has credentials


def test_a_clip_is_uploaded_on_the_video_path(server: Server, tmp_path: Path) -> None:
    clip = write_video(
        tmp_path / "clip.mp4", [np.full((64, 64, 3), 20 * i, dtype=np.uint8) for i in range(6)]
    )
    outbox = Outbox(tmp_path / "library.sqlite")
    swing_id = str(uuid.uuid4())
    outbox.add(swing_id, "clip", str(clip))
    outbox.add(str(uuid.uuid4()), "clip", str(tmp_path / "deleted.mp4"))
    make_sender(server, outbox).drain(timeout_s=60)
    assert outbox.status_of(swing_id) == {"clip": ("delivered", None)}
    assert outbox.counts() == {"pending": 0, "delivered": 1, "failed": 1}  # a clip deleted meanwhile
    assert swing_id in server.swing_ids()


def upload_process(library: Path, server: Server) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SWINGCOACH_LIBRARY": str(library),
        "SWINGCOACH_SERVER": server.url,
        "SWINGCOACH_EMAIL": EMAIL,
        "SWINGCOACH_PASSWORD": PASSWORD,
        "SWINGCOACH_BACKOFF_BASE_S": "0.05",
        "SWINGCOACH_BACKOFF_CAP_S": "0.5",
    }
    command = [sys.executable, "-m", "swingcoach", "library", "upload", "--timeout", "240"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for_delivered(
    outbox: Outbox, at_least: int, client: subprocess.Popen[bytes], timeout_s: float = 120
) -> None:
    deadline = time.monotonic() + timeout_s
    while outbox.counts()["delivered"] < at_least:
        assert client.poll() is None, client.stdout.read().decode() if client.stdout else ""
        assert time.monotonic() < deadline, f"stuck at {outbox.counts()}"
        time.sleep(0.01)


def test_200_swings_survive_server_outages_and_a_killed_client(
    server: Server, tmp_path: Path, demo_poses: PoseSequence
) -> None:
    library = tmp_path / "library"
    library.mkdir()
    outbox = Outbox(library / "library.sqlite")
    payloads = swing_payloads(demo_poses, 200, seed=7)
    for payload in payloads:
        outbox.add(str(payload.swing_id), "payload", payload.model_dump_json())
    before = set(server.swing_ids())

    client = upload_process(library, server)
    wait_for_delivered(outbox, 20, client)
    server.stop(signal.SIGTERM)  # graceful: requests in flight finish
    time.sleep(1.0)
    server.start()
    wait_for_delivered(outbox, 60, client)
    server.stop(signal.SIGKILL)  # a crash: requests in flight are cut
    time.sleep(1.0)
    server.start()
    wait_for_delivered(outbox, 100, client)
    client.send_signal(signal.SIGKILL)  # the device dies mid-upload ...
    client.wait(timeout=30)
    client = upload_process(library, server)  # ... and comes back
    wait_for_delivered(outbox, 140, client)
    server.stop(signal.SIGKILL)
    time.sleep(1.0)
    server.start()
    output, _ = client.communicate(timeout=240)
    assert client.returncode == 0, output.decode()

    assert outbox.counts() == {"pending": 0, "delivered": 200, "failed": 0}
    with closing(sqlite3.connect(library / "library.sqlite")) as db:
        retried = db.execute("SELECT count(*) FROM outbox WHERE attempts > 0").fetchone()[0]
    assert retried > 0  # the outages did hit uploads in flight
    stored = [swing_id for swing_id in server.swing_ids() if swing_id not in before]
    assert len(stored) == 200
    assert set(stored) == {str(p.swing_id) for p in payloads}
