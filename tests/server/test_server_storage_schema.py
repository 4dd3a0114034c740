"""Migrations match the models on SQLite and Postgres; storage on a local folder and on S3."""

from __future__ import annotations

import io
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from swingcoach.server.db import alembic_config, create_db_engine, migrate
from swingcoach.server.models import Base
from swingcoach.server.staging import Staged, StagingMismatch, UploadStaging
from swingcoach.server.storage import LocalStorage, S3Storage, open_storage


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'schema.db'}"
    return request.getfixturevalue("empty_postgres_url")


def test_migrations_build_exactly_the_models_and_run_down_and_up(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        migrate(engine)
        migrate(engine)  # idempotent: a second replica starting finds nothing to do
        with engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
            )
        assert differences == []
        config = alembic_config(database_url)
        command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(config, "head")
        assert {"users", "swings", "jobs", "notifications"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_local_storage_writes_whole_objects_and_stays_inside_its_folder(tmp_path: Path) -> None:
    storage = open_storage(str(tmp_path / "store"))
    assert isinstance(storage, LocalStorage)
    storage.put("videos/a/b/clip.mp4", io.BytesIO(b"video bytes"))
    with storage.local_path("videos/a/b/clip.mp4") as path:
        assert path.read_bytes() == b"video bytes"
    assert storage.open("videos/a/b/clip.mp4").read() == b"video bytes"
    assert storage.open("videos/a/b/clip.mp4", 6).read() == b"bytes", "a ranged read starts there"
    assert not list((tmp_path / "store" / "videos" / "a" / "b").glob(".upload-*"))
    with pytest.raises(ValueError, match="escapes"):
        storage.put("../outside.mp4", io.BytesIO(b"x"))
    storage.delete("videos/a/b/clip.mp4")
    assert not (tmp_path / "store" / "videos").exists(), "empty folders go with the last object"
    with pytest.raises(FileNotFoundError), storage.local_path("videos/a/b/clip.mp4"):
        pass
    storage.delete("videos/a/b/clip.mp4")  # deleting twice is fine
    with pytest.raises(ValueError, match="s3://bucket"):
        open_storage("gs://bucket/x")


def test_upload_staging_takes_each_chunk_once_in_order(tmp_path: Path) -> None:
    """Two requests with the same first chunk at once (a client retrying): one is appended, the
    other is told where the upload is; a total is kept from the first chunk; ids only in names."""
    staging = UploadStaging(tmp_path / "staging")
    user_id, swing_id = uuid.uuid4(), uuid.uuid4()
    assert staging.state(user_id, swing_id) is None
    assert staging.lock(user_id, swing_id, create=False) is None
    assert not (tmp_path / "staging").exists(), "asking creates nothing"
    barrier = threading.Barrier(2)

    def send(data: bytes) -> Staged:
        barrier.wait()
        upload = staging.lock(user_id, swing_id, create=True)
        assert upload is not None
        try:
            return upload.append(0, 8, data)
        except StagingMismatch as mismatch:
            return mismatch.staged
        finally:
            upload.close()

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(send, [b"abcd", b"abcd"]))
    assert answers == [Staged(4, 8), Staged(4, 8)]
    part = tmp_path / "staging" / str(user_id) / f"{swing_id}.part"
    assert part.read_bytes() == b"abcd", "appended once"
    upload = staging.lock(user_id, swing_id, create=False)
    assert upload is not None
    try:
        with pytest.raises(StagingMismatch, match="total of 8 bytes"):
            upload.append(4, 9, b"efgh")
        with pytest.raises(StagingMismatch, match="starts at byte 4"):
            upload.append(2, 8, b"cdef")
        assert upload.append(4, 8, b"efgh") == Staged(8, 8)
        with upload.reader() as stream:
            assert stream.read() == b"abcdefgh"
        upload.discard()
    finally:
        upload.close()
    assert staging.state(user_id, swing_id) is None and not part.parent.exists()
    with pytest.raises(ValueError, match="badly formed"):
        staging.state("../../etc", swing_id)  # type: ignore[arg-type]


def test_s3_storage_against_an_s3_api(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="swings")
        storage = open_storage("s3://swings/prod")
        assert isinstance(storage, S3Storage)
        storage.check()
        data = uuid.uuid4().bytes * 1000
        storage.put("videos/u/s/clip.mp4", io.BytesIO(data))
        keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="swings")["Contents"]]
        assert keys == ["prod/videos/u/s/clip.mp4"]
        with storage.local_path("videos/u/s/clip.mp4") as path:
            assert path.read_bytes() == data and path.suffix == ".mp4"
        assert not path.exists(), "the download is temporary"
        assert storage.open("videos/u/s/clip.mp4").read() == data
        assert storage.open("videos/u/s/clip.mp4", 12345).read() == data[12345:]
        storage.delete("videos/u/s/clip.mp4")
        with pytest.raises(FileNotFoundError), storage.local_path("videos/u/s/clip.mp4"):
            pass
        with pytest.raises(Exception, match=r"404|Not Found|NoSuchBucket"):
            open_storage("s3://missing-bucket").check()
