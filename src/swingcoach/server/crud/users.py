"""Accounts."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from swingcoach.server.core.security import hash_password, verify_password
from swingcoach.server.models import User


class EmailTaken(ValueError):
    pass


def create_user(sessions: sessionmaker[Session], email: str, password: str) -> User:
    user = User(id=uuid.uuid4(), email=email, password_hash=hash_password(password))
    try:
        with sessions.begin() as session:
            session.add(user)
    except IntegrityError:
        raise EmailTaken(f"an account with {email} already exists") from None
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    ok = verify_password(user.password_hash if user is not None else None, password)
    return user if ok else None


def set_webhook(session: Session, user: User, url: str | None, secret: str | None) -> None:
    user.webhook_url = url
    user.webhook_secret = secret if url is not None else None
