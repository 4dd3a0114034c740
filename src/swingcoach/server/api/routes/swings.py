"""Swings: keypoint payloads (device path), video uploads (video path) and the golfer's library."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import PurePosixPath
from typing import Annotated, BinaryIO

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, undefer

from swingcoach.errors import SwingcoachError
from swingcoach.schemas import SwingPayload
from swingcoach.server.analyze import PayloadBacklog
from swingcoach.server.api.deps import ACCOUNT_GONE, ServicesDep, SessionDep, UserId
from swingcoach.server.api.schemas import (
    MAX_INT64,
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
) -> UploadAccepted:
    """Store the video and queue its analysis (the whole pipeline runs on a worker). Poll
    GET /v1/jobs/{job_id}, or listen on GET /v1/events, for the result."""
    head = await file.read(SNIFF_BYTES)
    await file.seek(0)
    if not head:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the uploaded file is empty")
    extension = video_extension(head)
    if extension is None:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"{file.filename or 'the upload'} is not a video (expected mp4, mov, webm, mkv or avi)",
        )
    swing_id = swing_id or uuid.uuid4()
    request.state.swing_id = str(swing_id)
    size = await run_in_threadpool(_size, file.file)
    try:
        await run_in_threadpool(probe, file.file, services.settings.video_limits)
        await run_in_threadpool(ensure_quota, services, user_id, swing_id, size)
    except (VideoLimitError, QuotaExceeded) as error:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(error)) from None
    await file.seek(0)
    key = f"videos/{user_id}/{swing_id}/{uuid.uuid4().hex}{extension}"
    content = await run_in_threadpool(_store_hashed, services.storage, key, file.file)
    try:
        swing, job, created = await run_in_threadpool(
            create_video_swing, services, user_id, swing_id, key, content, size
        )
    except (SwingConflict, UnknownAccount, QuotaExceeded) as error:
        await run_in_threadpool(services.storage.delete, key)
        if isinstance(error, UnknownAccount):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, ACCOUNT_GONE) from None
        if isinstance(error, QuotaExceeded):
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(error)) from None
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    if created:
        services.queue.enqueue(job.id)
    else:
        await run_in_threadpool(services.storage.delete, key)  # a resend: the first copy is kept
    request.state.job_id = str(job.id)
    return UploadAccepted(swing_id=swing.id, job_id=job.id, status=job.status)


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
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_INT64)] = 0,
) -> SwingPage:
    """The user's swings, newest first."""
    where = SwingFilter(since, until, favorite, min_score, max_score, status_)
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


@router.get("/{swing_id:uuid}/video", response_class=StreamingResponse)
def swing_video(
    swing_id: uuid.UUID, user_id: UserId, session: SessionDep, services: ServicesDep
) -> StreamingResponse:
    """The uploaded video, while it is stored."""
    found = _own_swing(session, user_id, swing_id)
    if found.video_key is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"swing {swing_id} has no stored video")
    key = found.video_key

    def chunks() -> Iterator[bytes]:
        with closing(services.storage.open(key)) as stream:
            while data := stream.read(CHUNK):
                yield data

    media_type = MEDIA_TYPES.get(PurePosixPath(key).suffix, "application/octet-stream")
    return StreamingResponse(chunks(), media_type=media_type)


@router.patch("/{swing_id:uuid}", response_model=SwingDetail)
def update_swing(
    swing_id: uuid.UUID, changes: SwingUpdate, user_id: UserId, session: SessionDep
) -> SwingDetail:
    """Mark a swing favourite, keep its video past the retention period, or note something on it."""
    found = _own_swing(session, user_id, swing_id)
    for field in changes.model_fields_set:
        setattr(found, field, getattr(changes, field))
    session.commit()
    session.refresh(found, ["report"])
    return detail(found, latest_job(session, swing_id))


@router.delete("/{swing_id:uuid}", status_code=status.HTTP_204_NO_CONTENT)
def remove_swing(swing_id: uuid.UUID, user_id: UserId, session: SessionDep, services: ServicesDep) -> None:
    found = _own_swing(session, user_id, swing_id)
    session.close()
    delete_swing(services, found)
    log.info("swing deleted", swing_id=str(swing_id), user_id=str(user_id))
