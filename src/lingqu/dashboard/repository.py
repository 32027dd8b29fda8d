"""All SQL of the dashboard: three GROUP BY queries, each returning a few hundred rows at most.

* :func:`batch_groups` counts batches per (city, district, year, quarter) in one pass over the
  covering index ``ix_batch_city_sampled``; the KPI, the quarterly trend and the district table
  are sums over these groups (hundreds of rows, never the batches themselves).
* :func:`failures_by_item` counts failed results per test item from the partial index of
  failures ``ix_test_result_failed_item`` (a few per cent of the results).
* :func:`grade_counts` counts enterprises by their latest risk grade.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, case, cast, extract, false, func, select
from sqlalchemy.orm import Session

from lingqu.enterprise.models import Enterprise
from lingqu.risk.models import RiskGrade
from lingqu.sampling.models import Batch, TestResult


@dataclass(frozen=True)
class Group:
    city_code: str
    district: str
    year: int
    quarter: int
    passed: int
    failed: int
    pending: int


def batch_groups(session: Session, city_code: str | None) -> list[Group]:
    year = cast(extract("year", Batch.sampled_on), Integer)
    quarter = (cast(extract("month", Batch.sampled_on), Integer) + 2) // 3
    rows = select(
        Batch.city_code.label("city"), Batch.district.label("district"), year.label("y"), quarter.label("q"),
        Batch.passed.label("ok"),
    )
    if city_code:
        rows = rows.where(Batch.city_code == city_code)
    r = rows.subquery("r")
    stmt = select(
        r.c.city, r.c.district, r.c.y, r.c.q,
        func.sum(case((r.c.ok.is_(True), 1), else_=0)),
        func.sum(case((r.c.ok.is_(False), 1), else_=0)),
        func.sum(case((r.c.ok.is_(None), 1), else_=0)),
    ).group_by(r.c.city, r.c.district, r.c.y, r.c.q)
    return [Group(c, d or "", int(y), int(q), int(p or 0), int(f or 0), int(n or 0))
            for c, d, y, q, p, f, n in session.execute(stmt)]


def failures_by_item(session: Session, city_code: str | None) -> list[tuple[str, int]]:
    """(test item, failed results), most failures first."""
    n = func.count()
    stmt = select(TestResult.test_item, n).where(TestResult.passed == false())
    if city_code:
        stmt = stmt.join(Batch, Batch.id == TestResult.batch_id).where(Batch.city_code == city_code)
    stmt = stmt.group_by(TestResult.test_item).order_by(n.desc(), TestResult.test_item)
    return [(item, int(k)) for item, k in session.execute(stmt)]


def latest_grades():
    """A subquery (enterprise_id, grade) of each enterprise's latest grade (latest as-of date,
    then the latest stored)."""
    rank = func.row_number().over(partition_by=RiskGrade.enterprise_id,
                                  order_by=(RiskGrade.as_of.desc(), RiskGrade.id.desc())).label("rk")
    ranked = select(RiskGrade.enterprise_id, RiskGrade.grade, RiskGrade.as_of, rank).subquery("ranked")
    return select(ranked.c.enterprise_id, ranked.c.grade, ranked.c.as_of).where(ranked.c.rk == 1).subquery("latest")


def grade_counts(session: Session, city_code: str | None) -> tuple[list[tuple[str, int]], object]:
    """(grade, enterprises) by latest grade, and the latest as-of date among them (or None)."""
    latest = latest_grades()
    stmt = select(latest.c.grade, func.count(), func.max(latest.c.as_of))
    if city_code:
        stmt = stmt.join(Enterprise, Enterprise.id == latest.c.enterprise_id).where(Enterprise.city_code == city_code)
    stmt = stmt.group_by(latest.c.grade).order_by(latest.c.grade)
    rows = list(session.execute(stmt))
    as_of = max((r[2] for r in rows if r[2] is not None), default=None)
    return [(g, int(k)) for g, k, _ in rows], as_of


def enterprises_with_grade(grade: str):
    """A subquery of the ids of enterprises whose latest grade is ``grade``."""
    latest = latest_grades()
    return select(latest.c.enterprise_id).where(latest.c.grade == grade)


def enterprise_count(session: Session, city_code: str | None) -> int:
    stmt = select(func.count()).select_from(Enterprise)
    if city_code:
        stmt = stmt.where(Enterprise.city_code == city_code)
    return int(session.execute(stmt).scalar_one())


def data_version(session: Session) -> tuple:
    """A stamp that changes whenever the dashboard's inputs change: batches and grades added or
    removed (max id, count) and any audited write (every import and grading run is audited, and
    an in-place update of a batch's verdict comes through an import). Three index-only reads."""
    from lingqu.audit.models import AuditEntry

    b = session.execute(select(func.max(Batch.id), func.count())).one()
    g = session.execute(select(func.max(RiskGrade.id), func.count()).select_from(RiskGrade)).one()
    a = session.execute(select(func.max(AuditEntry.id))).scalar()
    return (*b, *g, a)
