"""All SQL of the audit log."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lingqu.audit.models import AuditEntry


def lock_chain(session: Session) -> None:
    """Serialise writers of the chain: two transactions must not both append after the same hash."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7420117)"))


def last_hash(session: Session) -> str | None:
    return session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()


def add_all(session: Session, entries: list[AuditEntry]) -> None:
    session.add_all(entries)
    session.flush()


def iter_entries(session: Session) -> Iterator[AuditEntry]:
    yield from session.execute(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=5000)).scalars()
