"""Accounts and access tokens."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from swingcoach.server.api.deps import ServicesDep, SessionDep, UserId, account
from swingcoach.server.api.schemas import Credentials, Token, UserOut, error_responses
from swingcoach.server.core.security import create_access_token
from swingcoach.server.crud.users import EmailTaken, authenticate, create_user
from swingcoach.server.services import Services

router = APIRouter(prefix="/auth", tags=["auth"])
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@router.post(
    "/register", status_code=status.HTTP_201_CREATED, response_model=UserOut, responses=error_responses(409)
)
def register(credentials: Credentials, services: ServicesDep) -> UserOut:
    try:
        user = create_user(services.sessions, credentials.email, credentials.password)
    except EmailTaken as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    return UserOut.model_validate(user)


def _login(services: Services, credentials: Credentials) -> Token:
    with services.sessions() as session:
        user = authenticate(session, credentials.email, credentials.password)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "wrong email or password", headers={"WWW-Authenticate": "Bearer"}
        )
    settings = services.settings
    token, expires_at = create_access_token(user.id, settings.signing_key, settings.access_token_minutes)
    return Token(access_token=token, expires_at=expires_at)


@router.post(
    "/login",
    response_model=Token,
    responses=error_responses(401, 422),
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
async def login(request: Request, services: ServicesDep) -> Token:
    """JSON `{email, password}`, or the OAuth2 password form (`username` = the email)."""
    try:
        if request.headers.get("content-type", "").startswith(FORM_TYPES):
            form = await request.form()
            credentials = Credentials(
                email=str(form.get("username", "")), password=str(form.get("password", ""))
            )
        else:
            credentials = Credentials.model_validate_json(await request.body())
    except ValidationError as error:
        # The same 422 body as every other route: the field and the reason.
        raise RequestValidationError(error.errors(include_url=False)) from None
    return await run_in_threadpool(_login, services, credentials)


@router.get("/me", response_model=UserOut)
def me(user_id: UserId, session: SessionDep) -> UserOut:
    return UserOut.model_validate(account(session, user_id))
