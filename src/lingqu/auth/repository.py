"""All SQL for users."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lingqu.auth.models import User


def by_username(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def add(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user
