"""Dependencies shared by the routes: the services, a database session, the signed-in user.

They run in the event loop: a sync dependency would cost each request an extra thread hop."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from swingcoach.server.core.security import TokenError, read_access_token
from swingcoach.server.models import User
from swingcoach.server.services import Services

oauth2 = OAuth2PasswordBearer(tokenUrl="/v1/auth/login", auto_error=False)
ACCOUNT_GONE = "the account of this token does not exist; register or log in again"


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_session(services: ServicesDep) -> AsyncIterator[Session]:
    # Made in the event loop (no I/O yet); closed in a thread (it may roll back over the network).
    session = services.sessions()
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


SessionDep = Annotated[Session, Depends(get_session)]


async def authenticated_user_id(
    request: Request,
    services: ServicesDep,
    bearer: Annotated[str | None, Depends(oauth2)],
    access_token: Annotated[
        str | None, Query(description="Only for clients that cannot set headers (browser EventSource).")
    ] = None,
) -> uuid.UUID:
    """The user the signed token names. Checked in the event loop, without a database round trip:
    only this server can sign tokens, and accounts are never deleted."""
    token = bearer or access_token
    if not token:
        raise _unauthorized("not authenticated: send 'Authorization: Bearer <token>' (POST /v1/auth/login)")
    try:
        user_id = read_access_token(token, services.settings.signing_key)
    except TokenError as error:
        raise _unauthorized(str(error)) from None
    request.state.user_id = str(user_id)
    return user_id


UserId = Annotated[uuid.UUID, Depends(authenticated_user_id)]


def account(session: Session, user_id: uuid.UUID) -> User:
    """The signed-in user's row (a token can outlive its database, e.g. after a reset)."""
    user = session.get(User, user_id)
    if user is None:
        raise _unauthorized(ACCOUNT_GONE)
    return user


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})
