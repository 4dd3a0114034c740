"""Swings: keypoint payloads (device path), video uploads (video path) and the golfer's library."""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Annotated, BinaryIO

from fastapi import APIRouter, File, Form, Header, HTTPException, Query, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.orm import Session, undefer

from swingcoach.analysis.ballflight import DEFAULT_CLUB
from swingcoach.errors import SwingcoachError
from swingcoach.schemas import Club, SwingPayload
from swingcoach.server.analyze import PayloadBacklog
from swingcoach.server.api.deps import ACCOUNT_GONE, ServicesDep, SessionDep, UserId
from swingcoach.server.api.schemas import (
    MAX_INT64,
    ClipConflict,
    ClipUpload,
    Instant,
    JobOut,
    Omitted,
    Score,
    SwingDetail,
    SwingPage,
    SwingSummary,
    SwingUpdate,
    UploadAccepted,
    error_responses,
)
from swingcoach.server.core.logging import get_logger
from swingcoach.server.crud.jobs import latest_job
from swingcoach.server.crud.swings import (
    MiB,
    QuotaExceeded,
    SwingConflict,
    SwingFilter,
    UnknownAccount,
    create_video_swing,
    delete_swing,
    device_content,
    ensure_quota,
    find_resend,
    get_own,
    list_swings,
    store_device_swing,
)
from swingcoach.server.models import Job, Swing, SwingStatus
from swingcoach.server.services import Services
from swingcoach.server.staging import Staged, StagingMismatch
from swingcoach.server.storage import CHUNK, Storage
from swingcoach.video.source import VideoLimitError, probe

router = APIRouter(prefix="/swings", tags=["swings"])
BACKLOG_RETRY_S = 2
log = get_logger(__name__)

# Container signatures of the video formats the decoder is meant for: a cheap early "not a video"
# answer. The header is then checked against the video limits without decoding a frame; whether the
# file really decodes (within the limits: headers can lie) is found out by the worker.
SNIFF_BYTES = 16
MEDIA_TYPES = {".mp4": "video/mp4", ".mkv": "video/x-matroska", ".avi": "video/x-msvideo"}


def video_extension(head: bytes) -> str | None:
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
        return ".mp4"  # ISO base media: mp4, mov, m4v, 3gp
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return ".mkv"  # Matroska, WebM
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return ".avi"
    return None


def detail(swing: Swing, job: Job | None = None) -> SwingDetail:
    result = SwingDetail.model_validate(swing)
    result.job = None if job is None else JobOut.model_validate(job)
    return result


def _own_swing(session: Session, user_id: uuid.UUID, swing_id: uuid.UUID) -> Swing:
    swing = get_own(session, user_id, swing_id)
    if swing is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no swing {swing_id}")
    return swing


@router.post(
    "",
    response_model=SwingDetail,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "A resend: the swing stored the first time", "model": SwingDetail},
        **error_responses(409, 413, 503),
    },
)
async def create_swing(
    payload: SwingPayload, request: Request, response: Response, user_id: UserId, services: ServicesDep
) -> SwingDetail:
    """Analyse a swing from its keypoints, in this request (milliseconds). Idempotent on `swing_id`:
    sending the same payload again returns the stored swing with 200 instead of 201. A 503 with
    Retry-After says the server is busy: send the same payload again then."""
    request.state.swing_id = str(payload.swing_id)
    content = device_content(payload)
    try:
        swing = await run_in_threadpool(find_resend, services, user_id, payload.swing_id, content[1])
        created = swing is None
        if swing is None:
            report, versions = await services.analyzer.analyze_payload_in_turn(payload)
            swing, created = await run_in_threadpool(
                store_device_swing, services, user_id, payload, content, report, versions
            )
    except SwingConflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    except UnknownAccount:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, ACCOUNT_GONE) from None
    except PayloadBacklog as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, str(error), headers={"Retry-After": str(BACKLOG_RETRY_S)}
        ) from None
    except (SwingcoachError, ValueError) as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"cannot analyse this swing: {error}"
        ) from None
    request.state.models = swing.models
    if not created:
        response.status_code = status.HTTP_200_OK
        swing = await run_in_threadpool(_with_report, services, swing.id)
    return detail(swing)


def _with_report(services: Services, swing_id: uuid.UUID) -> Swing:
    with services.sessions() as session:
        return session.get_one(Swing, swing_id, options=[undefer(Swing.report)])


class HashingReader:
    """Reads through to `stream`, hashing what passes: the upload is fingerprinted as it is stored."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def read(self, size: int = -1, /) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return data


def _size(stream: BinaryIO) -> int:
    size = stream.seek(0, 2)
    stream.seek(0)
    return size


def _store_hashed(storage: Storage, key: str, stream: BinaryIO) -> str:
    reader = HashingReader(stream)
    storage.put(key, reader)
    return reader.digest.hexdigest()


def ingest_clip(
    services: Services,
    user_id: uuid.UUID,
    swing_id: uuid.UUID,
    stream: BinaryIO,
    name: str,
    club: Club = DEFAULT_CLUB,
) -> UploadAccepted:
    """The one way a clip gets in, whole (POST /swings/video) or assembled from its chunks (PUT
    /swings/{id}/clip): not a video → 415, over the video limits or the quota → 413, then stored
    under a fresh key and recorded (a new swing, or attached to the keypoint swing of that id) with
    its analysis job queued. A resend of a stored clip answers its first job; whatever is not kept
    is deleted again."""
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    if not head:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the uploaded file is empty")
    extension = video_extension(head)
    if extension is None:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"{name} is not a video (expected mp4, mov, webm, mkv or avi)",
        )
    size = _size(stream)
    try:
        probe(stream, services.settings.video_limits)
        ensure_quota(services, user_id, swing_id, size)
    except (VideoLimitError, QuotaExceeded) as error:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(error)) from None
    stream.seek(0)
    key = f"videos/{user_id}/{swing_id}/{uuid.uuid4().hex}{extension}"
    content = _store_hashed(services.storage, key, stream)
    try:
        swing, job, created = create_video_swing(services, user_id, swing_id, key, content, size, club)
    except (SwingConflict, UnknownAccount, QuotaExceeded) as error:
        services.storage.delete(key)
        if isinstance(error, UnknownAccount):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, ACCOUNT_GONE) from None
        if isinstance(error, QuotaExceeded):
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(error)) from None
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    if created:
        services.queue.enqueue(job.id)
    else:
        services.storage.delete(key)  # a resend: the first copy is kept
    return UploadAccepted(swing_id=swing.id, job_id=job.id, status=job.status)


@router.post(
    "/video",
    response_model=UploadAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(409, 413, 415),
)
async def upload_video(
    request: Request,
    file: Annotated[UploadFile, File(description="The clip: mp4, mov, webm, mkv or avi.")],
    user_id: UserId,
    services: ServicesDep,
    swing_id: Annotated[
        uuid.UUID | None, Form(description="Client-made id; makes a resend harmless.")
    ] = None,
    club: Annotated[
        Club, Form(description="The club swung (ball flight, pro comparison, the library's label).")
    ] = DEFAULT_CLUB,
) -> UploadAccepted:
    """Store the video and queue its analysis (the whole pipeline runs on a worker). Poll
    GET /v1/jobs/{job_id}, or listen on GET /v1/events, for the result."""
    swing_id = swing_id or uuid.uuid4()
    request.state.swing_id = str(swing_id)
    accepted = await run_in_threadpool(
        ingest_clip, services, user_id, swing_id, file.file, file.filename or "the upload", club
    )
    request.state.job_id = str(accepted.job_id)
    return accepted


@router.get("", response_model=SwingPage)
def swings(
    user_id: UserId,
    session: SessionDep,
    since: Annotated[Instant | Omitted, Query(description="Swung at or after (ISO 8601).")] = None,
    until: Annotated[Instant | Omitted, Query(description="Swung before (ISO 8601).")] = None,
    favorite: bool | Omitted = None,
    min_score: Annotated[Score | Omitted, Query()] = None,
    max_score: Annotated[Score | Omitted, Query()] = None,
    status_: Annotated[SwingStatus | Omitted, Query(alias="status")] = None,
    club: Annotated[Club | Omitted, Query(description="Only the swings made with this club.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_INT64)] = 0,
) -> SwingPage:
    """The user's swings, newest first."""
    where = SwingFilter(since, until, favorite, min_score, max_score, status_, club)
    items, total = list_swings(session, user_id, where, limit, offset)
    return SwingPage(
        items=[SwingSummary.model_validate(s) for s in items], total=total, limit=limit, offset=offset
    )


@router.get("/{swing_id:uuid}", response_model=SwingDetail)
def swing(swing_id: uuid.UUID, request: Request, user_id: UserId, session: SessionDep) -> SwingDetail:
    """The swing with its full analysis (the SwingReport) and, for uploads, its job."""
    request.state.swing_id = str(swing_id)
    found = _own_swing(session, user_id, swing_id)
    session.refresh(found, ["report"])
    return detail(found, latest_job(session, swing_id))


@router.get("/{swing_id:uuid}/payload", response_class=Response)
def swing_payload(swing_id: uuid.UUID, user_id: UserId, session: SessionDep) -> Response:
    """The keypoints (a SwingPayload): as sent by the device, or as found in the uploaded video."""
    found = _own_swing(session, user_id, swing_id)
    session.refresh(found, ["payload"])
    if found.payload is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"swing {swing_id} has no keypoints yet")
    return Response(found.payload, media_type="application/json")


BYTE_RANGE = re.compile(r"^bytes=(\d{0,15})-(\d{0,15})$")
CLIP_RESPONSES: dict[int | str, dict] = {
    200: {"description": "The whole clip", "content": {"video/mp4": {}}},
    206: {
        "description": "The bytes the Range header asked for (a player seeking in the clip)",
        "content": {"video/mp4": {}},
        "headers": {"Content-Range": {"description": "bytes first-last/size", "schema": {"type": "string"}}},
    },
    **error_responses(416),
}


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first and last byte of a single-range `Range: bytes=…` header, or None to send the whole
    object (no header, or one this route does not serve: several ranges, other units). Raises 416
    when the range lies past the end."""
    match = BYTE_RANGE.match(header or "")
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # a suffix: the last N bytes
        if int(last) == 0:
            raise _unsatisfiable(size)
        return max(0, size - int(last)), size - 1
    if int(first) >= size or (last and int(last) < int(first)):
        raise _unsatisfiable(size)
    return int(first), min(int(last), size - 1) if last else size - 1


def _unsatisfiable(size: int) -> HTTPException:
    return HTTPException(
        status.HTTP_416_RANGE_NOT_SATISFIABLE,
        f"the range lies outside the clip's {size} bytes",
        headers={"Content-Range": f"bytes */{size}"},
    )


@router.get("/{swing_id:uuid}/video", response_class=StreamingResponse, responses=CLIP_RESPONSES)
def swing_video(
    swing_id: uuid.UUID,
    user_id: UserId,
    session: SessionDep,
    services: ServicesDep,
    download: Annotated[
        bool, Query(description="true (or 1): as an attachment, to be saved, instead of inline.")
    ] = False,
    range_header: Annotated[
        str | None,
        Header(alias="Range", max_length=64, description="One byte range, `bytes=first-last` (206)."),
    ] = None,
) -> StreamingResponse:
    """The swing's stored clip (uploaded whole, or in chunks for a keypoint swing), while it is kept.
    One byte range is served as 206 Partial Content, so players can seek (Safari asks for ranges)."""
    found = _own_swing(session, user_id, swing_id)
    if found.video_key is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"swing {swing_id} has no stored video")
    key, size = found.video_key, found.video_bytes
    span = None if size is None else byte_range(range_header, size)
    start, remaining = (0, size) if span is None else (span[0], span[1] - span[0] + 1)

    def chunks() -> Iterator[bytes]:
        left = math.inf if remaining is None else remaining
        with closing(services.storage.open(key, start)) as stream:
            while left > 0 and (data := stream.read(min(CHUNK, left))):
                left -= len(data)
                yield data

    extension = PurePosixPath(key).suffix
    disposition = "attachment" if download else "inline"
    headers = {"Content-Disposition": f'{disposition}; filename="swing-{swing_id}{extension}"'}
    if size is not None:
        headers |= {"Accept-Ranges": "bytes", "Content-Length": str(remaining)}
    if span is not None:
        headers["Content-Range"] = f"bytes {span[0]}-{span[1]}/{size}"
    media_type = MEDIA_TYPES.get(extension, "application/octet-stream")
    code = status.HTTP_200_OK if span is None else status.HTTP_206_PARTIAL_CONTENT
    return StreamingResponse(chunks(), status_code=code, media_type=media_type, headers=headers)


# --- resumable clip uploads (docs/server.md "Resumable clip uploads") ---
CONTENT_RANGE = r"^bytes (\d{1,15})-(\d{1,15})/(\d{1,15})$"
OFFSET_HEADER, LENGTH_HEADER, COMPLETE_HEADER = "Upload-Offset", "Upload-Length", "Upload-Complete"
UPLOAD_HEADERS = {
    OFFSET_HEADER: {
        "description": "Bytes the server holds: where the next chunk starts.",
        "schema": {"type": "integer"},
    },
    LENGTH_HEADER: {
        "description": "The clip's size, once the first chunk announced it.",
        "schema": {"type": "integer"},
    },
    COMPLETE_HEADER: {
        "description": "?1 once the clip is stored with the swing, else ?0.",
        "schema": {"type": "string", "enum": ["?0", "?1"]},
    },
}
CHUNK_BODY = {
    "requestBody": {
        "required": True,
        "description": "The bytes the Content-Range names, as they are (any Content-Type).",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@dataclass(frozen=True)
class Chunk:
    start: int
    total: int
    data: bytes


class ChunkRefused(Exception):
    """A chunk that does not continue the upload (409): the answer says where it stands."""

    def __init__(self, message: str, state: ClipUpload) -> None:
        super().__init__(message)
        self.state = state


def _upload_headers(state: ClipUpload) -> dict[str, str]:
    headers = {OFFSET_HEADER: str(state.received), COMPLETE_HEADER: "?1" if state.complete else "?0"}
    if state.total is not None:
        headers[LENGTH_HEADER] = str(state.total)
    return headers


def _refusal(refused: ChunkRefused) -> JSONResponse:
    state = refused.state
    body = ClipConflict(detail=str(refused), received=state.received, total=state.total)
    return JSONResponse(
        body.model_dump(mode="json", exclude={"errors"}),
        status_code=status.HTTP_409_CONFLICT,
        headers=_upload_headers(state),
    )


def _content_range(value: str) -> tuple[int, int, int]:
    """START, END (inclusive) and TOTAL of `bytes START-END/TOTAL` (the header's pattern matched)."""
    match = re.fullmatch(CONTENT_RANGE, value)
    start, end, total = (int(part) for part in match.groups()) if match else (0, -1, 0)
    problem = None
    if match is None:
        problem = "must be 'bytes START-END/TOTAL', e.g. 'bytes 0-1048575/3000000'"
    elif total == 0:
        problem = "an empty clip is no clip"
    elif start > end:
        problem = "the chunk's first byte comes after its last"
    elif end >= total:
        problem = f"the chunk's last byte is past the clip's end (bytes count from 0 to {total - 1})"
    if problem is not None:
        raise RequestValidationError(
            [{"loc": ("header", "content-range"), "msg": f"{value!r}: {problem}", "type": "value_error"}]
        )
    return start, end, total


def _owned(services: Services, user_id: uuid.UUID, swing_id: uuid.UUID) -> Swing:
    with services.sessions() as session:
        return _own_swing(session, user_id, swing_id)


def _clip_state(services: Services, swing: Swing) -> ClipUpload:
    if swing.video_key is not None:
        with services.sessions() as session:
            job = latest_job(session, swing.id)
        return ClipUpload(
            swing_id=swing.id,
            received=swing.video_bytes or 0,
            total=swing.video_bytes,
            complete=True,
            job_id=None if job is None else job.id,
            status=None if job is None else job.status,
        )
    staged = services.staging.state(swing.user_id, swing.id) or Staged(0, None)
    return ClipUpload(swing_id=swing.id, received=staged.received, total=staged.total, complete=False)


def _continues(state: ClipUpload, start: int, total: int) -> None:
    if state.total is not None and state.total != total:
        raise ChunkRefused(
            f"this upload was started with a total of {state.total} bytes, not {total}; "
            "finish it, or DELETE it to start another",
            state,
        )
    if start != state.received:
        raise ChunkRefused(
            f"the next chunk starts at byte {state.received}, not {start}; resume from there", state
        )


def _matches_stored(storage: Storage, key: str, start: int, data: bytes) -> bool:
    """Whether the stored clip holds `data` at `start` (a chunk sent again after completion)."""
    try:
        with closing(storage.open(key)) as stream:
            if getattr(stream, "seekable", lambda: False)():  # a file; an S3 body is read through
                stream.seek(start)
            else:
                skip = start
                while skip and (skipped := len(stream.read(min(skip, CHUNK)))):
                    skip -= skipped
            stored = bytearray()
            while len(stored) < len(data) and (piece := stream.read(len(data) - len(stored))):
                stored += piece
    except FileNotFoundError:
        return False
    return stored == data


def _already_stored(services: Services, swing: Swing, chunk: Chunk) -> ClipUpload:
    """A chunk for a swing that has its clip: harmless when it is part of that very clip (its
    answer was lost), else refused."""
    state = _clip_state(services, swing)
    assert swing.video_key is not None
    if swing.video_bytes != chunk.total or not _matches_stored(
        services.storage, swing.video_key, chunk.start, chunk.data
    ):
        raise ChunkRefused(
            f"swing {swing.id} already has its clip ({state.total} bytes) and this chunk is not part "
            "of it; a resend must be identical",
            state,
        )
    return state


def _receive_chunk(services: Services, swing: Swing, chunk: Chunk) -> ClipUpload:
    """Append the chunk under the upload's lock; the last one hands the whole clip to
    `ingest_clip` (the staged file goes whatever the outcome)."""
    if swing.video_key is not None:
        return _already_stored(services, swing, chunk)
    upload = services.staging.lock(swing.user_id, swing.id, create=chunk.start == 0)
    if upload is None:  # nothing staged (completed or swept meanwhile)
        return _settled(
            services, swing, chunk, Staged(0, None), f"the next chunk starts at byte 0, not {chunk.start}"
        )
    try:
        if chunk.start == 0 and upload.received == 0:
            current = _owned(services, swing.user_id, swing.id)
            if current.video_key is not None:  # stored by the request this one waited for
                upload.discard()
                return _already_stored(services, current, chunk)
        try:
            staged = upload.append(chunk.start, chunk.total, chunk.data)
        except StagingMismatch as mismatch:
            return _settled(services, swing, chunk, mismatch.staged, str(mismatch))
        if staged.received < chunk.total:
            return ClipUpload(swing_id=swing.id, received=staged.received, total=staged.total, complete=False)
        try:
            with upload.reader() as stream:
                accepted = ingest_clip(services, swing.user_id, swing.id, stream, "the uploaded clip")
        except HTTPException as error:
            if error.status_code != status.HTTP_409_CONFLICT:
                raise
            conflict = str(error.detail)
        else:
            return ClipUpload(
                swing_id=swing.id,
                received=chunk.total,
                total=chunk.total,
                complete=True,
                job_id=accepted.job_id,
                status=accepted.status,
            )
        finally:
            upload.discard()
    finally:
        upload.close()
    raise ChunkRefused(conflict, _clip_state(services, _owned(services, swing.user_id, swing.id)))


def _settled(services: Services, swing: Swing, chunk: Chunk, staged: Staged, message: str) -> ClipUpload:
    """A chunk that does not continue the staged upload: it may be the last one sent again after
    the clip was stored (by the request it raced with); otherwise 409."""
    current = _owned(services, swing.user_id, swing.id)
    if current.video_key is not None:
        return _already_stored(services, current, chunk)
    state = ClipUpload(swing_id=swing.id, received=staged.received, total=staged.total, complete=False)
    raise ChunkRefused(message, state)


async def _read_chunk(request: Request, length: int) -> bytes:
    data = bytearray()
    async for piece in request.stream():
        data += piece
        if len(data) > length:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                f"the body is longer than the {length} bytes its Content-Range names",
            )
    if len(data) != length:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"the body has {len(data)} bytes; its Content-Range names {length}"
        )
    return bytes(data)


@router.put(
    "/{swing_id:uuid}/clip",
    response_model=ClipUpload,
    responses={
        200: {
            "description": "The chunk is stored; `complete` once it was the last",
            "headers": UPLOAD_HEADERS,
        },
        409: {
            "model": ClipConflict,
            "description": "The chunk does not continue the upload: resume at `received`",
            "headers": UPLOAD_HEADERS,
        },
        **error_responses(413, 415),
    },
    openapi_extra=CHUNK_BODY,
)
async def put_clip_chunk(
    swing_id: uuid.UUID,
    request: Request,
    response: Response,
    user_id: UserId,
    services: ServicesDep,
    content_range: Annotated[
        str,
        Header(
            pattern=CONTENT_RANGE,
            description="The chunk's place in the clip: `bytes START-END/TOTAL` (END inclusive).",
        ),
    ],
) -> ClipUpload | JSONResponse:
    """One chunk of the swing's clip (resumable upload): the browser's "also upload the clip" of a
    keypoint swing, in pieces that survive a dropped connection. START must be where the server is
    (`received`, also from GET); TOTAL is fixed by the first chunk. The last chunk stores the clip
    exactly as POST /v1/swings/video does and queues its analysis (`complete`, `job_id`)."""
    request.state.swing_id = str(swing_id)
    swing = await run_in_threadpool(_owned, services, user_id, swing_id)
    start, end, total = _content_range(content_range)
    settings = services.settings
    if end - start + 1 > settings.max_chunk_bytes:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"this chunk ({(end - start + 1) / MiB:.1f} MiB) is larger than the "
            f"{settings.max_chunk_bytes / MiB:g} MiB a chunk may have; send smaller chunks",
        )
    if total > settings.max_video_bytes:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"this clip ({total / MiB:.1f} MiB) is larger than the "
            f"{settings.max_video_bytes / MiB:g} MiB a video may have",
        )
    try:
        if swing.video_key is None:
            staged = await run_in_threadpool(_clip_state, services, swing)
            # Refused before its body is read, unless the clip is whole and being stored: this may
            # be its last chunk again, answered once the lock is free.
            if staged.received != staged.total:
                _continues(staged, start, total)
            if start == 0:
                unfinished = await run_in_threadpool(services.staging.announced_bytes, user_id, swing_id)
                try:
                    await run_in_threadpool(ensure_quota, services, user_id, swing_id, total, unfinished)
                except QuotaExceeded as error:
                    raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(error)) from None
        data = await _read_chunk(request, end - start + 1)
        state = await run_in_threadpool(_receive_chunk, services, swing, Chunk(start, total, data))
    except ChunkRefused as refused:
        return _refusal(refused)
    if state.job_id is not None:
        request.state.job_id = str(state.job_id)
    response.headers.update(_upload_headers(state))
    return state


@router.get(
    "/{swing_id:uuid}/clip",
    response_model=ClipUpload,
    responses={200: {"description": "Where the upload stands", "headers": UPLOAD_HEADERS}},
)
def clip_upload(
    swing_id: uuid.UUID, response: Response, user_id: UserId, session: SessionDep, services: ServicesDep
) -> ClipUpload:
    """Where the swing's clip upload stands: the byte to resume at (`received`), or `complete`."""
    state = _clip_state(services, _own_swing(session, user_id, swing_id))
    response.headers.update(_upload_headers(state))
    return state


@router.head(
    "/{swing_id:uuid}/clip",
    response_class=Response,
    responses={200: {"description": "Where the upload stands, in the headers", "headers": UPLOAD_HEADERS}},
)
def clip_upload_head(
    swing_id: uuid.UUID, user_id: UserId, session: SessionDep, services: ServicesDep
) -> Response:
    """GET's answer in headers only: Upload-Offset, Upload-Length, Upload-Complete."""
    state = _clip_state(services, _own_swing(session, user_id, swing_id))
    return Response(headers=_upload_headers(state))


@router.delete("/{swing_id:uuid}/clip", status_code=status.HTTP_204_NO_CONTENT)
def abandon_clip_upload(
    swing_id: uuid.UUID, user_id: UserId, session: SessionDep, services: ServicesDep
) -> None:
    """Drop the unfinished upload of the swing's clip (a stored clip stays: it goes with the swing)."""
    _own_swing(session, user_id, swing_id)
    session.close()
    services.staging.discard(user_id, swing_id)


@router.patch("/{swing_id:uuid}", response_model=SwingDetail)
def update_swing(
    swing_id: uuid.UUID, changes: SwingUpdate, user_id: UserId, session: SessionDep
) -> SwingDetail:
    """Mark a swing favourite, keep its video past the retention period, note something on it, or
    save the drawings made on its frame."""
    found = _own_swing(session, user_id, swing_id)
    for field, value in changes.model_dump(include=changes.model_fields_set).items():
        setattr(found, field, value)
    session.commit()
    session.refresh(found, ["report"])
    return detail(found, latest_job(session, swing_id))


@router.delete("/{swing_id:uuid}", status_code=status.HTTP_204_NO_CONTENT)
def remove_swing(swing_id: uuid.UUID, user_id: UserId, session: SessionDep, services: ServicesDep) -> None:
    found = _own_swing(session, user_id, swing_id)
    session.close()
    delete_swing(services, found)
    log.info("swing deleted", swing_id=str(swing_id), user_id=str(user_id))
