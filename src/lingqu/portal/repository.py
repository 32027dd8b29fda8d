"""The reads the enterprise portal needs beyond the domains' own: yearly counts, latest grade, alerts."""

from __future__ import annotations

from sqlalchemy import case, extract, func, select
from sqlalchemy.orm import Session

from lingqu.alert.models import Alert
from lingqu.risk.models import RiskGrade
from lingqu.sampling.models import Batch


def yearly_counts(session: Session, enterprise_id: int) -> list[tuple[int, int, int, int]]:
    """(year, batches, passed, failed) of one enterprise, oldest year first."""
    year = extract("year", Batch.sampled_on)
    stmt = (
        select(year, func.count(Batch.id), func.sum(case((Batch.passed.is_(True), 1), else_=0)),
               func.sum(case((Batch.passed.is_(False), 1), else_=0)))
        .where(Batch.enterprise_id == enterprise_id)
        .group_by(year)
        .order_by(year)
    )
    return [(int(y), int(n), int(p or 0), int(f or 0)) for y, n, p, f in session.execute(stmt)]


def latest_grade(session: Session, enterprise_id: int) -> RiskGrade | None:
    stmt = (select(RiskGrade).where(RiskGrade.enterprise_id == enterprise_id)
            .order_by(RiskGrade.as_of.desc(), RiskGrade.id.desc()).limit(1))
    return session.execute(stmt).scalar_one_or_none()


def open_alerts(session: Session, enterprise_id: int) -> list[Alert]:
    stmt = (select(Alert).where(Alert.scope == "enterprise", Alert.scope_key == str(enterprise_id),
                                Alert.status != "closed")
            .order_by(Alert.raised_at.desc(), Alert.id.desc()))
    return list(session.execute(stmt).scalars())
