"""All SQL of the standard domain (reads of the ``standard`` reference table)."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lingqu.reference.models import Standard


def all_standards(session: Session) -> list[Standard]:
    return list(session.scalars(select(Standard).order_by(Standard.id)))


def fingerprint(session: Session) -> str:
    """Changes whenever a standard is added, removed or edited in a way search sees."""
    count, max_id = session.execute(select(func.count(Standard.id), func.max(Standard.id))).one()
    h = hashlib.sha256(f"{count}|{max_id}".encode())
    rows = session.execute(
        select(Standard.id, Standard.code, Standard.status, Standard.title_zh, Standard.title_en, Standard.adopts).order_by(Standard.id)
    )
    for row in rows:
        h.update("\x1f".join("" if v is None else str(v) for v in row).encode())
        h.update(b"\x1e")
    return h.hexdigest()
