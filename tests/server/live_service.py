"""Helpers to run and talk to the real service in tests: processes, registered clients, tokens."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, text

from swingcoach.schemas import SwingPayload
from swingcoach.server.core.security import create_access_token

SECRET = "test-secret-key-not-for-production"
PASSWORD = "correct horse battery"
STARTUP_S = 90.0
TEST_DATABASES = [
    os.environ.get("SWINGCOACH_TEST_DATABASE_URL", ""),
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
]
TEST_BROKER = os.environ.get("SWINGCOACH_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
TEST_REDIS = os.environ.get("SWINGCOACH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REFUSAL_DELAY_S = 0.2
# Short leases and retries so failure paths finish within a test.
SERVICE_ENV = {
    "SWINGCOACH_SECRET_KEY": SECRET,
    "SWINGCOACH_POSE_BACKEND": "blazepose-lite",
    "SWINGCOACH_JOB_LEASE_SECONDS": "4",
    "SWINGCOACH_JOB_RETRY_BASE_SECONDS": "1",
    "SWINGCOACH_REAPER_INTERVAL_SECONDS": "2",
    "SWINGCOACH_MAX_VIDEO_BYTES": str(1024 * 1024),
    "SWINGCOACH_SSE_POLL_SECONDS": "30",
    # The tests' webhook receivers listen on 127.0.0.1 (the rest of loopback stays refused).
    "SWINGCOACH_WEBHOOK_ALLOW": "127.0.0.1/32",
    # Refused logins still wait (the tarpit is tested), but not a second each.
    "SWINGCOACH_LOGIN_REFUSAL_DELAY_SECONDS": str(REFUSAL_DELAY_S),
}


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def env_for_service(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWINGCOACH_")}
    for name in ("DATABASE_URL", "STORAGE_URL", "BROKER_URL", "SECRET_KEY", "REDIS_URL", "METRICS_TOKEN"):
        env.pop(name, None)
    return env | SERVICE_ENV | extra


class Process:
    """A child process with its output in a log file, stopped on demand."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.command, self.env, self.log = command, env, log
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(sig)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@dataclass
class Service:
    """A running service: its URL, its database (for checks behind the API) and its processes."""

    name: str
    url: str
    database_url: str
    api: Process
    worker: Process | None = None
    engine: Engine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = create_engine(self.database_url)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            assert self.api.popen is not None and self.api.popen.poll() is None, self.api.tail()
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"{self.name} did not become ready:\n{self.api.tail()}")

    def count(self, sql: str, **params: Any) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(text(sql), params).scalar_one())

    def client(self) -> Client:
        return Client.register(self.url)


@dataclass
class Client:
    """A freshly registered user with a signed-in HTTP client."""

    http: httpx.Client
    user_id: str
    email: str

    @classmethod
    def register(cls, url: str) -> Client:
        email = f"golfer-{uuid.uuid4().hex[:12]}@example.com"
        http = httpx.Client(base_url=url, timeout=60)
        created = http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
        assert created.status_code == 202, created.text
        login = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        http.cookies.clear()  # the bearer header authenticates this client, as a device's would
        return cls(http=http, user_id=http.get("/v1/auth/me").json()["id"], email=email)

    def post_swing(self, payload: SwingPayload) -> httpx.Response:
        return self.http.post(
            "/v1/swings", content=payload.model_dump_json(), headers={"Content-Type": "application/json"}
        )

    def upload(self, data: bytes, name: str = "swing.mp4", **form: str) -> httpx.Response:
        return self.http.post("/v1/swings/video", files={"file": (name, data, "video/mp4")}, data=form)

    def put_chunk(self, swing_id: str, data: bytes, start: int, total: int) -> httpx.Response:
        """One chunk of the swing's clip (resumable upload): `data` at byte `start` of `total`."""
        return self.http.put(
            f"/v1/swings/{swing_id}/clip",
            content=data,
            headers={
                "Content-Range": f"bytes {start}-{start + len(data) - 1}/{total}",
                "Content-Type": "application/octet-stream",
            },
        )

    def wait_job(self, job_id: str, until: Callable[[dict[str, Any]], bool], timeout_s: float = 180) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job = self.http.get(f"/v1/jobs/{job_id}").json()
            if until(job):
                return job
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} never reached the state: {job}")


def job_finished(job: dict[str, Any]) -> bool:
    return job["status"] in ("done", "failed", "dead", "cancelled")


def expired_token(user_id: str) -> str:
    token, _ = create_access_token(uuid.UUID(user_id), uuid.uuid4(), SECRET, minutes=-1)
    return token


def serve_command(port: int) -> list[str]:
    return [sys.executable, "-m", "swingcoach", "serve", "--port", str(port)]


@contextmanager
def running_embedded(name: str, root: Path, extra_env: dict[str, str] | None = None) -> Iterator[Service]:
    """`swingcoach serve` embedded (SQLite and files under `root`), stopped afterwards."""
    port = free_port()
    env = env_for_service({"SWINGCOACH_DATA_DIR": str(root / "data")} | (extra_env or {}))
    service = Service(
        name,
        f"http://127.0.0.1:{port}",
        f"sqlite:///{root / 'data' / 'swingcoach.db'}",
        Process(serve_command(port), env, root / "api.log"),
    )
    service.api.start()
    try:
        service.wait_ready()
        yield service
    finally:
        service.api.stop()
        service.engine.dispose()


def worker_command(queue: str, name: str) -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "swingcoach.server.jobs.worker", "worker",
        # The queue name is this run's own: two runs on one broker never share a worker's name
        # (its remote-control queue is exclusive; the second worker would die at start).
        "--pool", "solo", "--queues", queue, "--hostname", f"{name}.{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO",
    ]  # fmt: skip


def concurrently(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at the same moment (a barrier lines them up) and return their results."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def read_events(url: str, token: str, count: int, last_event_id: int | None = None) -> Iterator[dict]:
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    with httpx.stream("GET", f"{url}/v1/events", headers=headers, timeout=60) as stream:
        assert stream.status_code == 200
        seen = 0
        for line in stream.iter_lines():
            if line.startswith("data:"):
                yield json.loads(line.removeprefix("data:").strip())
                seen += 1
                if seen == count:
                    return
