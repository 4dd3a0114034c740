"""Live views: a device sends its annotated view frame by frame; its owner, and the viewers the owner
named, watch it as MJPEG (multipart/x-mixed-replace, which a browser plays in an <img>). Anyone
else gets 403, whether or not the stream exists."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from swingcoach.server.api.deps import ServicesDep, SessionDep, UserId
from swingcoach.server.api.schemas import Email, ViewerIn, error_responses
from swingcoach.server.crud.live import may_watch, share, shared_with, unshare, viewers

router = APIRouter(prefix="/live", tags=["live"])
StreamName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="the device's stream name")]
MAX_FRAME_BYTES = 1024 * 1024
MAX_CLOCK_SKEW_S = 24 * 3600
BOUNDARY = "frame"
VIEW_IDLE_S = 10.0  # a view with no new frame for this long ends (the device stopped)


class LiveList(BaseModel):
    mine: list[str]
    shared_with_me: list[dict[str, str]]


@router.put(
    "/{name}/frame",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(413, 415, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "image/jpeg": {"schema": {"type": "string", "format": "binary", "maxLength": MAX_FRAME_BYTES}}
            },
        }
    },
)
async def send_frame(
    name: StreamName,
    request: Request,
    user_id: UserId,
    services: ServicesDep,
    captured_at: Annotated[float | None, Header(alias="X-Captured-At", description="epoch seconds")] = None,
) -> Response:
    """One JPEG of the device's live view (image/jpeg, at most 1 MiB)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "image/jpeg":
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "a frame is one image/jpeg")
    body = await request.body()
    if len(body) > MAX_FRAME_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"a frame is at most {MAX_FRAME_BYTES} bytes")
    if not body.startswith(b"\xff\xd8"):
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "the body is not a JPEG")
    now = time.time()
    if captured_at is None or not math.isfinite(captured_at) or abs(captured_at - now) > MAX_CLOCK_SKEW_S:
        captured_at = now
    try:
        await services.live_views.publish(user_id, name, body, captured_at)
    except OverflowError as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("", response_model=LiveList)
def list_live(user_id: UserId, session: SessionDep, services: ServicesDep) -> LiveList:
    """My streams that are live now, and the streams shared with me."""
    shared = [{"owner_id": str(owner), "stream": stream} for owner, stream in shared_with(session, user_id)]
    return LiveList(mine=services.live_views.live(user_id), shared_with_me=shared)


@router.get("/{name}/viewers", response_model=list[str])
def list_viewers(name: StreamName, user_id: UserId, session: SessionDep) -> list[str]:
    return viewers(session, user_id, name)


@router.put("/{name}/viewers", status_code=status.HTTP_204_NO_CONTENT)
def add_viewer(name: StreamName, viewer: ViewerIn, user_id: UserId, session: SessionDep) -> Response:
    """Let an account watch this stream (the answer is the same whether or not the email has one)."""
    try:
        share(session, user_id, name, viewer.email)
    except OverflowError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{name}/viewers/{email}", status_code=status.HTTP_204_NO_CONTENT)
def remove_viewer(name: StreamName, email: Email, user_id: UserId, session: SessionDep) -> Response:
    unshare(session, user_id, name, email)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{owner_id}/{name}/view.mjpeg",
    response_class=StreamingResponse,
    responses={
        200: {"content": {f"multipart/x-mixed-replace; boundary={BOUNDARY}": {}}},
        **error_responses(403),
    },
)
async def watch(
    owner_id: uuid.UUID, name: StreamName, request: Request, user_id: UserId, services: ServicesDep
) -> StreamingResponse:
    """The stream as MJPEG, newest frame first; each part carries X-Captured-At (the device's clock)."""

    def allowed() -> bool:  # a session of its own: none is held open while the view streams
        with services.sessions() as session:
            return may_watch(session, user_id, owner_id, name)

    if not await run_in_threadpool(allowed):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this stream is not shared with you")
    relay = services.live_views

    async def parts() -> AsyncIterator[bytes]:
        after = 0
        while not await request.is_disconnected():
            frame = await relay.next_frame(owner_id, name, after, VIEW_IDLE_S)
            if frame is None:
                return
            after = frame.sequence
            head = (
                f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame.jpeg)}\r\n"
                f"X-Captured-At: {frame.captured_at:.6f}\r\nX-Sequence: {frame.sequence}\r\n\r\n"
            )
            yield head.encode() + frame.jpeg + b"\r\n"

    return StreamingResponse(
        parts(),
        media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
        headers={"Cache-Control": "no-store"},
    )
