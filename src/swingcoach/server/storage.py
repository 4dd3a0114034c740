"""Where uploaded videos live: a local folder (embedded) or an S3-compatible bucket (boto3).

Keys are plain relative paths ("videos/<swing>/<upload>.mp4"). Objects are written once and never
changed, so concurrent writers and retried jobs cannot see half-written or replaced content.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlparse

CHUNK = 1024 * 1024


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class Storage(Protocol):
    def put(self, key: str, stream: Readable) -> None: ...

    def local_path(self, key: str) -> AbstractContextManager[Path]:
        """The object as a file the video decoder can open (a temporary download for S3)."""
        ...

    def open(self, key: str, start: int = 0) -> BinaryIO:
        """The object's bytes from `start` on (a ranged read: a player seeking in a clip)."""
        ...

    def delete(self, key: str) -> None: ...

    def check(self) -> None:
        """Raise if the storage cannot be reached (readiness)."""
        ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"storage key escapes the storage folder: {key!r}")
        return path

    def put(self, key: str, stream: Readable) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename: readers never see a partial file.
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, prefix=".upload-") as tmp:
            try:
                shutil.copyfileobj(stream, tmp, CHUNK)
            except BaseException:
                Path(tmp.name).unlink()
                raise
        Path(tmp.name).replace(path)

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"no stored object {key!r}")
        yield path

    def open(self, key: str, start: int = 0) -> BinaryIO:
        stream = self._path(key).open("rb")
        stream.seek(start)
        return stream

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        for folder in path.parents:  # drop the folders the key made, once empty
            if folder == self.root:
                break
            try:
                folder.rmdir()
            except OSError:  # not empty
                break

    def check(self) -> None:
        if not self.root.is_dir():
            raise OSError(f"storage folder {self.root} is missing")


class S3Storage:
    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None) -> None:
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = boto3.client("s3", endpoint_url=endpoint_url)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, stream: Readable) -> None:
        # Multipart upload in chunks: memory stays bounded for large videos.
        self.client.upload_fileobj(stream, self.bucket, self._key(key))

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        suffix = Path(key).suffix
        with tempfile.TemporaryDirectory(prefix="swingcoach-") as folder:
            path = Path(folder) / f"object{suffix}"
            try:
                self.client.download_file(self.bucket, self._key(key), str(path))
            except self.client.exceptions.ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                    raise FileNotFoundError(f"no stored object {key!r}") from None
                raise
            yield path

    def open(self, key: str, start: int = 0) -> BinaryIO:
        ranged = {"Range": f"bytes={start}-"} if start else {}
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key), **ranged)["Body"]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def check(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def open_storage(url: str, s3_endpoint_url: str | None = None) -> Storage:
    """`s3://bucket/prefix` or a local folder (a path or file:// URL)."""
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"STORAGE_URL {url!r} names no bucket (s3://bucket/prefix)")
        return S3Storage(parsed.netloc, parsed.path, s3_endpoint_url)
    if parsed.scheme == "file":
        return LocalStorage(Path(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:  # one letter: a Windows drive
        raise ValueError(f"STORAGE_URL {url!r}: use a folder or s3://bucket/prefix")
    return LocalStorage(Path(url))
