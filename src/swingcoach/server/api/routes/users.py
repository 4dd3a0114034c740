"""The signed-in user's settings."""

from __future__ import annotations

from fastapi import APIRouter

from swingcoach.server.api.deps import SessionDep, UserId, account
from swingcoach.server.api.schemas import WebhookIn, WebhookOut
from swingcoach.server.crud.users import set_webhook

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me/webhook", response_model=WebhookOut)
def get_webhook(user_id: UserId, session: SessionDep) -> WebhookOut:
    user = account(session, user_id)
    return WebhookOut(url=user.webhook_url, signed=user.webhook_secret is not None)


@router.put("/me/webhook", response_model=WebhookOut)
def put_webhook(body: WebhookIn, user_id: UserId, session: SessionDep) -> WebhookOut:
    """Every analysis result is also POSTed to this URL (JSON, the same body as the SSE event).
    With a secret, `X-Swingcoach-Signature: sha256=<HMAC-SHA256 of the body>` signs it."""
    user = account(session, user_id)
    set_webhook(session, user, None if body.url is None else str(body.url), body.secret)
    session.commit()
    return WebhookOut(url=user.webhook_url, signed=user.webhook_secret is not None)
