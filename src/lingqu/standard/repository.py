"""All SQL of the standard domain (reads of the ``standard`` reference table)."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lingqu.reference.models import Standard


def all_standards(session: Session) -> list[Standard]:
    return list(session.scalars(select(Standard).order_by(Standard.id)))


def _searched_columns() -> list:
    """The columns search reads; ``kind`` only once the model has it."""
    cols = [Standard.id, Standard.code, Standard.status, Standard.title_zh, Standard.title_en, Standard.adopts, Standard.domain]
    kind = getattr(Standard, "kind", None)
    return cols + ([kind] if kind is not None else [])


def searchable_rows(session: Session) -> list[tuple]:
    """(id, code, title_zh, title_en, status, adopts, kind, domain) of every standard, by id."""
    out = []
    for row in session.execute(select(*_searched_columns()).order_by(Standard.id)):
        kind = row[7] if len(row) > 7 else ""
        out.append((row[0], row[1], row[3], row[4], row[2], row[5], kind or "", row[6] or ""))
    return out


def distinct_values(session: Session, column: str) -> list[str]:
    """The distinct non-empty values of a standard column (for filter choices); [] if no such column."""
    col = getattr(Standard, column, None)
    if col is None:
        return []
    return [v for v in session.scalars(select(col).distinct().order_by(col)) if v]


def fingerprint(session: Session) -> str:
    """Changes whenever a standard is added, removed or edited in a way search sees."""
    count, max_id = session.execute(select(func.count(Standard.id), func.max(Standard.id))).one()
    h = hashlib.sha256(f"{count}|{max_id}".encode())
    rows = session.execute(select(*_searched_columns()).order_by(Standard.id))
    for row in rows:
        h.update("\x1f".join("" if v is None else str(v) for v in row).encode())
        h.update(b"\x1e")
    return h.hexdigest()
