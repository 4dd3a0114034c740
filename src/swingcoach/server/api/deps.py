"""Dependencies shared by the routes: the services, a database session, the signed-in user.

They run in the event loop: a sync dependency would cost each request an extra thread hop."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, OAuth2PasswordBearer
from sqlalchemy.orm import Session

from swingcoach.server.core.ratelimit import Guard
from swingcoach.server.core.security import AccessClaims, TokenError, read_access_token
from swingcoach.server.models import User
from swingcoach.server.services import Services

ACCESS_COOKIE = "swingcoach_access"
REFRESH_COOKIE = "swingcoach_refresh"
CSRF_HEADER = "X-Requested-With"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
oauth2 = OAuth2PasswordBearer(tokenUrl="/v1/auth/login", auto_error=False)
access_cookie = APIKeyCookie(
    name=ACCESS_COOKIE, auto_error=False, description="Set by login and refresh (http-only)."
)
ACCOUNT_GONE = "the account of this token does not exist; register or log in again"


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_guard(request: Request) -> Guard:
    return request.app.state.guard


GuardDep = Annotated[Guard, Depends(get_guard)]


async def get_session(services: ServicesDep) -> AsyncIterator[Session]:
    # Made in the event loop (no I/O yet); closed in a thread (it may roll back over the network).
    session = services.sessions()
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


SessionDep = Annotated[Session, Depends(get_session)]


async def access_claims(
    request: Request,
    guard: GuardDep,
    services: ServicesDep,
    bearer: Annotated[str | None, Depends(oauth2)],
    cookie: Annotated[str | None, Depends(access_cookie)],
) -> AccessClaims:
    """The signed token of the request: the Authorization header, else the http-only cookie the
    login sets (for what the browser fetches by itself: EventSource, <video>). Never a query string:
    URLs end up in logs, histories and Referer headers. Checked in the event loop without a
    database round trip: the signature, the expiry, and the revocation list (logout, deletion)."""
    token = bearer
    if token is None and cookie:
        # A cookie goes along with cross-site requests too: a write must also carry a header
        # that only this site's scripts can add (SameSite=Strict is the first line).
        if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) is None:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"a request authenticated by cookie that changes something needs the {CSRF_HEADER} header",
            )
        token = cookie
    if not token:
        raise _unauthorized("not authenticated: send 'Authorization: Bearer <token>' (POST /v1/auth/login)")
    try:
        claims = read_access_token(token, services.settings.signing_key)
    except TokenError as error:
        raise _unauthorized(str(error)) from None
    if await guard.revocations.revoked(claims.user_id, claims.session_id):
        raise _unauthorized("this login has ended (logout or account deleted); log in again")
    request.state.user_id = str(claims.user_id)
    return claims


Claims = Annotated[AccessClaims, Depends(access_claims)]


async def authenticated_user_id(claims: Claims) -> uuid.UUID:
    return claims.user_id


UserId = Annotated[uuid.UUID, Depends(authenticated_user_id)]


def account(session: Session, user_id: uuid.UUID) -> User:
    """The signed-in user's row (a token can outlive its database, e.g. after a reset)."""
    user = session.get(User, user_id)
    if user is None:
        raise _unauthorized(ACCOUNT_GONE)
    return user


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


async def metrics_access(services: ServicesDep, bearer: Annotated[str | None, Depends(oauth2)]) -> None:
    """/metrics: with METRICS_TOKEN, only for its bearer; without it, open in development and
    absent in production (Prometheus then scrapes with the token)."""
    settings = services.settings
    if settings.metrics_token is None:
        if settings.env == "production":
            raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
        return
    expected = settings.metrics_token.get_secret_value().encode()
    if bearer is None or not hmac.compare_digest(bearer.encode(), expected):
        raise _unauthorized("/metrics needs 'Authorization: Bearer <METRICS_TOKEN>'")
