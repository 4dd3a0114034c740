"""The signed-in user's settings, and their data: all of it as one archive, or all of it deleted."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse

from swingcoach.server.api.deps import (
    ACCESS_COOKIE,
    REFRESH_COOKIE,
    GuardDep,
    ServicesDep,
    SessionDep,
    UserId,
    account,
)
from swingcoach.server.api.routes.auth import client_address, too_many
from swingcoach.server.api.schemas import Password, StorageUsage, WebhookIn, WebhookOut, error_responses
from swingcoach.server.core.logging import get_logger
from swingcoach.server.core.security import HashingBusy, verify_password
from swingcoach.server.crud.swings import clip_usage
from swingcoach.server.crud.users import delete_account, export_archive, set_webhook
from swingcoach.server.notify import WebhookRefused, resolve_webhook

router = APIRouter(prefix="/users", tags=["users"])
log = get_logger(__name__)


@router.get("/me/webhook", response_model=WebhookOut)
def get_webhook(user_id: UserId, session: SessionDep) -> WebhookOut:
    user = account(session, user_id)
    return WebhookOut(url=user.webhook_url, signed=user.webhook_secret is not None)


@router.get("/me/storage", response_model=StorageUsage)
def get_storage(user_id: UserId, session: SessionDep, services: ServicesDep) -> StorageUsage:
    """What the signed-in user's stored clips take, against their storage quota (a clip shared by
    the swings of one upload counts once; unfinished uploads do not count)."""
    account(session, user_id)
    usage = clip_usage(session, user_id)
    return StorageUsage(
        used_bytes=usage.bytes, quota_bytes=services.settings.storage_quota_bytes, clips=usage.clips
    )


@router.put("/me/webhook", response_model=WebhookOut)
def put_webhook(body: WebhookIn, user_id: UserId, session: SessionDep, services: ServicesDep) -> WebhookOut:
    """Every analysis result is also POSTed to this URL (JSON, the same body as the SSE event).
    With a secret, `X-Swingcoach-Signature: sha256=<HMAC-SHA256 of the body>` signs it. The host
    must resolve to public addresses only; each delivery checks again and follows no redirect."""
    if body.url is not None:
        try:
            resolve_webhook(str(body.url), services.settings.webhook_allow)
        except WebhookRefused as error:
            raise RequestValidationError(
                [{"loc": ("body", "url"), "msg": str(error), "type": "webhook_refused"}]
            ) from None
    user = account(session, user_id)
    set_webhook(session, user, None if body.url is None else str(body.url), body.secret)
    session.commit()
    return WebhookOut(url=user.webhook_url, signed=user.webhook_secret is not None)


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403, 429),
)
async def delete_me(
    body: Password,
    request: Request,
    response: Response,
    user_id: UserId,
    session: SessionDep,
    services: ServicesDep,
    guard: GuardDep,
) -> None:
    """Delete the account and everything of it: swings, keypoints, reports, stored clips, jobs,
    notifications and logins. Every token of the account stops working at once. Asks for the
    password again; wrong ones count towards the login lockout."""
    user = await run_in_threadpool(account, session, user_id)
    email, password_hash = user.email, user.password_hash
    await run_in_threadpool(session.close)
    address = client_address(request)
    wait = await guard.limiter.retry_after(email, address)
    if wait is not None:
        raise await too_many(guard, wait, f"too many wrong passwords; try again in {wait} s")
    try:
        correct = await guard.hashing.run(verify_password, password_hash, body.password)
    except HashingBusy as error:
        raise await too_many(guard, 1, str(error)) from None
    if not correct:
        await guard.limiter.failed(email, address)
        raise HTTPException(status.HTTP_403_FORBIDDEN, "wrong password: the account is not deleted")
    clips = await run_in_threadpool(delete_account, services, user_id)
    await guard.revocations.revoke_user(user_id)
    response.delete_cookie(ACCESS_COOKIE, path="/v1")
    response.delete_cookie(REFRESH_COOKIE, path="/v1/auth")
    log.info("account deleted", user_id=str(user_id), clips=clips)


@router.get(
    "/me/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "A zip archive"}},
)
def export_me(user_id: UserId, session: SessionDep, services: ServicesDep) -> StreamingResponse:
    """Every swing of the account as one zip, streamed: account.json, and per swing
    swings/<id>/swing.json, payload.json (the keypoints), report.json and the clip when stored."""
    account(session, user_id)
    name = f"swingcoach-export-{datetime.now(UTC):%Y%m%d}.zip"
    return StreamingResponse(
        export_archive(services, user_id),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
