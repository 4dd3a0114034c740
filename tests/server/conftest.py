"""The service under test, as it runs for real: `swingcoach serve` in a subprocess, either embedded
(SQLite, local files, in-process worker) or scaled out (Postgres + RabbitMQ + a Celery worker
process). Each run gets its own Postgres schema and queue, removed afterwards, so runs repeat.

Postgres and RabbitMQ come from SWINGCOACH_TEST_DATABASE_URL / SWINGCOACH_TEST_BROKER_URL
(default: 127.0.0.1:5432 db `test`, guest@127.0.0.1:5672); scale-out tests skip, with the reason,
only when they are unreachable.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from media_files import FIXTURES
from server.live_service import (
    TEST_BROKER,
    TEST_DATABASES,
    TEST_REDIS,
    Process,
    Service,
    env_for_service,
    free_port,
    reachable,
    running_embedded,
    serve_command,
    worker_command,
)
from swingcoach.pose.base import PoseSequence
from swingcoach.schemas import SwingPayload


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running_embedded("embedded", tmp_path_factory.mktemp("embedded")) as service:
        yield service


def _postgres_url() -> str:
    import psycopg

    errors = []
    for url in filter(None, TEST_DATABASES):
        parsed = make_url(url)
        if not reachable(parsed.host or "127.0.0.1", parsed.port or 5432):
            errors.append(f"{parsed.host}:{parsed.port} unreachable")
            continue
        try:
            conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(conninfo, connect_timeout=5):
                return url
        except psycopg.Error as error:
            errors.append(str(error).strip())
    pytest.skip(f"Postgres is not reachable: {'; '.join(errors)}")


@contextmanager
def own_schema(base: str) -> Iterator[str]:
    """A schema of our own in the test database (the URL selects it), dropped afterwards."""
    schema = f"swingcoach_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_base() -> str:
    return _postgres_url()


@pytest.fixture(scope="session")
def postgres_url(postgres_base: str) -> Iterator[str]:
    """The scaled-out service's database."""
    with own_schema(postgres_base) as url:
        yield url


@pytest.fixture
def empty_postgres_url(postgres_base: str) -> Iterator[str]:
    with own_schema(postgres_base) as url:
        yield url


@pytest.fixture(scope="session")
def broker_queue() -> Iterator[tuple[str, str]]:
    from kombu import Connection

    parsed = urlparse(TEST_BROKER)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 5672
    if not reachable(host, port):
        pytest.skip(f"the message broker at {host}:{port} is not reachable")
    queue = f"swingcoach.test.{uuid.uuid4().hex[:10]}"
    yield TEST_BROKER, queue
    with Connection(TEST_BROKER) as connection:
        connection.default_channel.queue_delete(queue)


@pytest.fixture(scope="session")
def redis_url() -> str:
    parsed = urlparse(TEST_REDIS)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    if not reachable(host, port):
        pytest.skip(f"Redis at {host}:{port} is not reachable")
    return TEST_REDIS


@pytest.fixture(scope="session")
def scaleout(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_url: str,
    broker_queue: tuple[str, str],
    redis_url: str,
) -> Iterator[Service]:
    broker, queue = broker_queue
    root = tmp_path_factory.mktemp("scaleout")
    port = free_port()
    env = env_for_service(
        {
            "DATABASE_URL": postgres_url,
            "BROKER_URL": broker,
            "STORAGE_URL": str(root / "storage"),
            "SWINGCOACH_QUEUE_NAME": queue,
            "SWINGCOACH_DATA_DIR": str(root / "data"),
            # Login limits and revocations shared through Redis, under keys of this run only.
            "REDIS_URL": redis_url,
            "SWINGCOACH_REDIS_PREFIX": f"swingcoach-test-{uuid.uuid4().hex[:10]}",
        }
    )
    service = Service(
        "scaleout",
        f"http://127.0.0.1:{port}",
        postgres_url,
        Process(serve_command(port), env, root / "api.log"),
        Process(worker_command(queue, "worker1"), env, root / "worker.log"),
    )
    service.api.start()
    try:
        service.wait_ready()
        assert service.worker is not None
        service.worker.start()
        yield service
    finally:
        if service.worker is not None:
            service.worker.stop()
        service.api.stop()
        service.engine.dispose()


@pytest.fixture(params=["embedded", "scaleout"])
def service(request: pytest.FixtureRequest) -> Service:
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def demo_sequence() -> PoseSequence:
    return PoseSequence.load(FIXTURES / "golfdb_demo_poses.npz")


@pytest.fixture(scope="session")
def rushed_sequence(demo_sequence: PoseSequence) -> PoseSequence:
    """The demo swing with two of every three backswing frames (address to top) left out: a
    rushed backswing, a fault (tempo ratio about 1.2 : 1) that statistics and recommendations see."""
    keep = np.concatenate([np.arange(50), np.arange(50, 119, 3), np.arange(119, len(demo_sequence))])
    world = None if demo_sequence.world is None else demo_sequence.world[keep]
    return PoseSequence(
        demo_sequence.keypoints[keep], demo_sequence.fps, demo_sequence.width, demo_sequence.height, world
    )


@pytest.fixture
def make_payload(demo_sequence: PoseSequence) -> Callable[..., SwingPayload]:
    def make(**fields: Any) -> SwingPayload:
        return SwingPayload.from_sequence(fields.pop("swing_id", uuid.uuid4()), demo_sequence, **fields)

    return make
