"""Accounts and logins: short-lived access tokens, refresh tokens rotated on use, logout."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import ValidationError

from swingcoach.server.api.deps import (
    ACCESS_COOKIE,
    CSRF_HEADER,
    REFRESH_COOKIE,
    GuardDep,
    ServicesDep,
    SessionDep,
    UserId,
    account,
)
from swingcoach.server.api.schemas import (
    Credentials,
    NewAccount,
    RefreshIn,
    Registered,
    Token,
    UserOut,
    error_responses,
)
from swingcoach.server.core.ratelimit import Guard
from swingcoach.server.core.security import (
    HashingBusy,
    TokenError,
    create_access_token,
    hash_password,
    read_access_token,
)
from swingcoach.server.crud.users import (
    Login,
    RefreshReused,
    authenticate,
    create_user,
    end_login,
    revoke_session,
    rotate_login,
    start_login,
)
from swingcoach.server.services import Services

router = APIRouter(prefix="/auth", tags=["auth"])
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
REGISTERED = (
    "if this email had no account, it has one now: log in with the password "
    "(an email that had one keeps its account and password)"
)


async def too_many(guard: Guard, seconds: int, message: str) -> HTTPException:
    """A 429 with Retry-After, answered after the guard's refusal delay: a flood of guesses sent as
    fast as the answers come then costs the server a request a second per client, not a core."""
    await anyio.sleep(guard.refusal_delay_s)
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, message, headers={"Retry-After": str(seconds)})


def client_address(request: Request) -> str:
    # uvicorn has put X-Forwarded-For in here already, only for FORWARDED_ALLOW_IPS proxies.
    return request.client.host if request.client is not None else "unknown"


@router.post(
    "/register",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Registered,
    responses=error_responses(429),
)
async def register(credentials: NewAccount, services: ServicesDep, guard: GuardDep) -> Registered:
    """Create an account. The answer is the same whether the email was free or taken (and then
    nothing changes), so nobody learns from it who has an account here."""
    try:
        password_hash = await guard.hashing.run(hash_password, credentials.password)
    except HashingBusy as error:
        raise await too_many(guard, 1, str(error)) from None
    await run_in_threadpool(create_user, services.sessions, credentials.email, password_hash)
    return Registered(detail=REGISTERED)


def _tokens(services: Services, request: Request, response: Response, login: Login) -> Token:
    settings = services.settings
    access, expires_at = create_access_token(
        login.user_id, login.session_id, settings.signing_key, settings.access_token_minutes
    )
    # Http-only, so page scripts never hold a token; Strict, so no other site's request carries them.
    secure = request.url.scheme == "https"
    response.set_cookie(
        ACCESS_COOKIE,
        access,
        max_age=settings.access_token_minutes * 60,
        path="/v1",
        httponly=True,
        secure=secure,
        samesite="strict",
    )
    response.set_cookie(
        REFRESH_COOKIE,
        login.refresh_token,
        max_age=int(settings.refresh_token_days * 86400),
        path="/v1/auth",
        httponly=True,
        secure=secure,
        samesite="strict",
    )
    return Token(
        access_token=access,
        expires_at=expires_at,
        refresh_token=login.refresh_token,
        refresh_expires_at=login.expires_at,
    )


async def _credentials(request: Request) -> Credentials:
    try:
        if request.headers.get("content-type", "").startswith(FORM_TYPES):
            form = await request.form()
            return Credentials(email=str(form.get("username", "")), password=str(form.get("password", "")))
        return Credentials.model_validate_json(await request.body())
    except ValidationError as error:
        # The same 422 body as every other route: the field and the reason.
        raise RequestValidationError(error.errors(include_url=False)) from None


@router.post(
    "/login",
    response_model=Token,
    responses=error_responses(401, 422, 429),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": Credentials.model_json_schema()},
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                        "required": ["username", "password"],
                    }
                },
            },
        }
    },
)
async def login(request: Request, response: Response, services: ServicesDep, guard: GuardDep) -> Token:
    """JSON `{email, password}`, or the OAuth2 password form (`username` = the email). Sets the
    http-only cookies a browser uses; other clients send the access token as a bearer header.
    After `login_account_failures` wrong passwords an account is locked for the window (429 with
    Retry-After, the right password too); a client address after `login_ip_failures`."""
    credentials = await _credentials(request)
    address = client_address(request)
    wait = await guard.limiter.retry_after(credentials.email, address)
    if wait is not None:  # refused before hashing: a flood of refusals costs no CPU
        raise await too_many(guard, wait, f"too many failed logins; try again in {wait} s")
    try:
        user = await guard.hashing.run(
            authenticate, services.sessions, credentials.email, credentials.password
        )
    except HashingBusy as error:
        raise await too_many(guard, 1, str(error)) from None
    if user is None:
        await guard.limiter.failed(credentials.email, address)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "wrong email or password", headers={"WWW-Authenticate": "Bearer"}
        )
    await guard.limiter.succeeded(credentials.email, address)
    started = await run_in_threadpool(
        start_login, services.sessions, user.id, services.settings.refresh_token_days
    )
    return _tokens(services, request, response, started)


def _cookie(request: Request, name: str) -> str | None:
    """A token cookie for a write: only with the header no other site can make a browser send."""
    cookie = request.cookies.get(name)
    if cookie and request.headers.get(CSRF_HEADER) is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"a request authenticated by cookie needs the {CSRF_HEADER} header"
        )
    return cookie


def _refresh_token(request: Request, body: RefreshIn | None) -> str | None:
    if body is not None and body.refresh_token:
        return body.refresh_token
    return _cookie(request, REFRESH_COOKIE)


@router.post("/refresh", response_model=Token, responses=error_responses(401, 403))
async def refresh(
    request: Request,
    response: Response,
    services: ServicesDep,
    guard: GuardDep,
    body: RefreshIn | None = None,
) -> Token:
    """A new access token and a new refresh token for the refresh token (body, or the cookie);
    the old one is spent. Showing a spent one again revokes the whole login."""
    token = _refresh_token(request, body)
    if not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "no refresh token: log in")
    try:
        rotated = await run_in_threadpool(
            rotate_login, services.sessions, token, services.settings.refresh_token_days
        )
    except RefreshReused as error:
        await guard.revocations.revoke_session(error.session_id)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from None
    if rotated is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the refresh token is invalid or expired: log in")
    return _tokens(services, request, response, rotated)


async def _end_access_session(request: Request, services: Services, guard: Guard) -> None:
    scheme, bearer = get_authorization_scheme_param(request.headers.get("authorization"))
    access = bearer if scheme.lower() == "bearer" and bearer else _cookie(request, ACCESS_COOKIE)
    if not access:
        return
    try:
        claims = read_access_token(access, services.settings.signing_key)
    except TokenError:
        return
    await guard.revocations.revoke_session(claims.session_id)
    await run_in_threadpool(revoke_session, services.sessions, claims.user_id, claims.session_id)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403))
async def logout(
    request: Request,
    response: Response,
    services: ServicesDep,
    guard: GuardDep,
    body: RefreshIn | None = None,
) -> None:
    """End the login: its refresh token and every access token issued for it stop working now.
    Takes the refresh token (body or cookie) and/or the access token (header or cookie)."""
    token = _refresh_token(request, body)
    if token:
        session_id = await run_in_threadpool(end_login, services.sessions, token)
        if session_id is not None:
            await guard.revocations.revoke_session(session_id)
    await _end_access_session(request, services, guard)
    response.delete_cookie(ACCESS_COOKIE, path="/v1")
    response.delete_cookie(REFRESH_COOKIE, path="/v1/auth")


@router.get("/me", response_model=UserOut)
def me(user_id: UserId, session: SessionDep) -> UserOut:
    return UserOut.model_validate(account(session, user_id))
