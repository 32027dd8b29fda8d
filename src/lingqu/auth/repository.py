"""All SQL for users and their sessions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lingqu.auth.models import ApiToken, User, UserSession


def by_username(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def add(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user


def add_session(session: Session, record: UserSession) -> None:
    session.add(record)
    session.flush()


def user_for_token_hash(session: Session, token_hash: str, now: dt.datetime) -> User | None:
    return session.execute(
        select(User).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == token_hash, UserSession.expires_at > now, User.active.is_(True))
    ).scalar_one_or_none()


def delete_session(session: Session, token_hash: str) -> int:
    return session.execute(delete(UserSession).where(UserSession.token_hash == token_hash)).rowcount


def delete_expired_sessions(session: Session, now: dt.datetime) -> int:
    return session.execute(delete(UserSession).where(UserSession.expires_at <= now)).rowcount


def add_token(session: Session, token: ApiToken) -> None:
    session.add(token)
    session.flush()


def user_for_api_token_hash(session: Session, token_hash: str) -> User | None:
    return session.execute(
        select(User).join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked.is_(False), User.active.is_(True))
    ).scalar_one_or_none()
