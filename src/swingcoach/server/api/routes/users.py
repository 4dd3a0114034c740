"""The signed-in user's settings."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError

from swingcoach.server.api.deps import ServicesDep, SessionDep, UserId, account
from swingcoach.server.api.schemas import WebhookIn, WebhookOut
from swingcoach.server.crud.users import set_webhook
from swingcoach.server.notify import WebhookRefused, resolve_webhook

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me/webhook", response_model=WebhookOut)
def get_webhook(user_id: UserId, session: SessionDep) -> WebhookOut:
    user = account(session, user_id)
    return WebhookOut(url=user.webhook_url, signed=user.webhook_secret is not None)


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
