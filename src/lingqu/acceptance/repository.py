"""All SQL of the acceptance-sampling domain."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lingqu.acceptance.models import AcceptanceLine, LotInspection


def line_by_code(session: Session, code: str, *, for_update: bool = False) -> AcceptanceLine | None:
    stmt = select(AcceptanceLine).where(AcceptanceLine.code == code)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def add_line(session: Session, line: AcceptanceLine) -> AcceptanceLine:
    session.add(line)
    session.flush()
    return line


def list_lines(session: Session) -> list[AcceptanceLine]:
    return list(session.scalars(select(AcceptanceLine).order_by(AcceptanceLine.code)))


def next_seq(session: Session, line_id: int) -> int:
    top = session.scalar(select(func.max(LotInspection.seq)).where(LotInspection.line_id == line_id))
    return (top or 0) + 1


def add_lot(session: Session, lot: LotInspection) -> LotInspection:
    session.add(lot)
    session.flush()
    return lot


def recent_lots(session: Session, line_id: int, limit: int = 20) -> list[LotInspection]:
    """The most recent lots of a line, newest first."""
    stmt = (select(LotInspection).where(LotInspection.line_id == line_id)
            .order_by(LotInspection.seq.desc()).limit(limit))
    return list(session.scalars(stmt))
