"""All SQL of risk grading and sampling plans.

Reads return Polars frames (one column per field) for the columnar feature pipeline; only rows
dated strictly before the as-of date are read, so nothing later can reach a grade.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from dataclasses import dataclass

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from lingqu.enterprise.models import Assistance, Certificate, Complaint, Enterprise
from lingqu.enterprise.repository import EnterpriseFilter, enterprise_where
from lingqu.risk.models import RiskGrade, SamplingPlan
from lingqu.sampling.models import Batch, TestResult


def _frame(session: Session, stmt, schema: dict) -> pl.DataFrame:
    rows = session.execute(stmt).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def sampled_clusters(session: Session, before: dt.date) -> list[str]:
    stmt = select(Batch.cluster).where(Batch.sampled_on < before).distinct()
    return sorted(r[0] for r in session.execute(stmt))


def enterprises(session: Session, clusters: list[str]) -> pl.DataFrame:
    stmt = (select(Enterprise.id, Enterprise.uscc, Enterprise.name, Enterprise.cluster, Enterprise.size,
                   Enterprise.city_code, Enterprise.district, Enterprise.founded)
            .where(Enterprise.cluster.in_(clusters)).order_by(Enterprise.uscc))
    return _frame(session, stmt, {"enterprise_id": pl.Int64, "uscc": pl.String, "name": pl.String,
                                  "cluster": pl.String, "size": pl.String, "city_code": pl.String,
                                  "district": pl.String, "founded": pl.Date})


def batches(session: Session, before: dt.date) -> pl.DataFrame:
    """Batches with a verdict sampled before ``before``."""
    stmt = (select(Batch.id, Batch.enterprise_id, Batch.sampled_on, Batch.channel, Batch.passed)
            .where(Batch.sampled_on < before, Batch.passed.is_not(None)))
    return _frame(session, stmt, {"batch_id": pl.Int64, "enterprise_id": pl.Int64, "sampled_on": pl.Date,
                                  "channel": pl.String, "passed": pl.Boolean})


def failed_items(session: Session, before: dt.date) -> pl.DataFrame:
    stmt = (select(TestResult.batch_id, TestResult.test_item, TestResult.severity)
            .join(Batch, Batch.id == TestResult.batch_id)
            .where(Batch.sampled_on < before, TestResult.passed.is_(False)))
    return _frame(session, stmt, {"batch_id": pl.Int64, "test_item": pl.String, "severity": pl.String})


def city_names(session: Session) -> dict[str, str]:
    from lingqu.reference.models import City

    return {c: n for c, n in session.execute(select(City.code, City.name_zh))}


def measured_results(session: Session, before: dt.date) -> pl.DataFrame:
    """Passing results with a measured value (for the margin-to-limit feature)."""
    stmt = (select(TestResult.batch_id, TestResult.test_item, TestResult.measured_value, TestResult.limit_text)
            .join(Batch, Batch.id == TestResult.batch_id)
            .where(Batch.sampled_on < before, TestResult.passed.is_(True), TestResult.measured_value.is_not(None)))
    return _frame(session, stmt, {"batch_id": pl.Int64, "test_item": pl.String, "measured_value": pl.Float64,
                                  "limit_text": pl.String})


def complaints(session: Session, before: dt.date) -> pl.DataFrame:
    stmt = select(Complaint.enterprise_id, Complaint.received_on).where(Complaint.received_on < before)
    return _frame(session, stmt, {"enterprise_id": pl.Int64, "received_on": pl.Date})


def certificates(session: Session, before: dt.date) -> pl.DataFrame:
    """CCC certificates issued before ``before`` (or without an issue date)."""
    stmt = (select(Certificate.enterprise_id, Certificate.issued_on, Certificate.expires_on, Certificate.status)
            .where(Certificate.kind == "CCC", or_(Certificate.issued_on.is_(None), Certificate.issued_on < before)))
    return _frame(session, stmt, {"enterprise_id": pl.Int64, "issued_on": pl.Date, "expires_on": pl.Date,
                                  "status": pl.String})


def assistance(session: Session, before: dt.date) -> pl.DataFrame:
    stmt = select(Assistance.enterprise_id, Assistance.started_on, Assistance.kind).where(Assistance.started_on < before)
    return _frame(session, stmt, {"enterprise_id": pl.Int64, "started_on": pl.Date, "kind": pl.String})


# --- stored grades --------------------------------------------------------------------------------

def grades_at(session: Session, as_of: dt.date, policy_version: str) -> dict[int, RiskGrade]:
    stmt = select(RiskGrade).where(RiskGrade.as_of == as_of, RiskGrade.policy_version == policy_version)
    return {g.enterprise_id: g for g in session.scalars(stmt)}


def add_grades(session: Session, grades: list[RiskGrade]) -> None:
    session.add_all(grades)
    session.flush()


@dataclass(frozen=True)
class RankingFilter:
    """Which stored grades of one as-of date the risk ranking shows.

    ``enterprise``: search text, city and district (the enterprise list's conditions);
    ``grades``: only these grades; ``change``: against the previous as-of date, ``worse`` (a
    higher-risk grade than before), ``better`` (a lower one) or ``new`` (not graded then)."""

    as_of: dt.date
    policy_version: str
    previous_as_of: dt.date | None = None
    enterprise: EnterpriseFilter = EnterpriseFilter()
    grades: tuple[str, ...] = ()
    change: str = ""


def _ranking_stmt(f: RankingFilter, columns):
    """``columns(cur, prev)``'s columns over the grades of ``f.as_of`` joined to the enterprise and
    (left) to its grade at the previous as-of date ``prev``, with every condition of ``f`` applied in
    SQL. Grade letters order as the risk does (A < B < C < D), so "worse than before" is a string
    comparison."""
    cur, prev = RiskGrade, aliased(RiskGrade)
    on_prev = and_(prev.enterprise_id == cur.enterprise_id, prev.policy_version == cur.policy_version,
                   prev.as_of == f.previous_as_of) if f.previous_as_of else false()
    stmt = (select(*columns(cur, prev))
            .select_from(cur).join(Enterprise, Enterprise.id == cur.enterprise_id).outerjoin(prev, on_prev)
            .where(cur.as_of == f.as_of, cur.policy_version == f.policy_version, *enterprise_where(f.enterprise)))
    if f.grades:
        stmt = stmt.where(cur.grade.in_(f.grades))
    if f.change == "worse":
        stmt = stmt.where(prev.id.is_not(None), cur.grade > prev.grade)
    elif f.change == "better":
        stmt = stmt.where(prev.id.is_not(None), cur.grade < prev.grade)
    elif f.change == "new":
        stmt = stmt.where(prev.id.is_(None))
    return stmt


def ranking_rows(session: Session, f: RankingFilter, limit: int | None = None, offset: int = 0) -> list[tuple]:
    """(uscc, name, district, probability, grade, reasons, city_code, previous probability, previous
    grade) of the grades matching ``f``, highest probability first (ties by USCC); one page when
    ``limit`` is given."""
    stmt = _ranking_stmt(f, lambda cur, prev: (Enterprise.uscc, Enterprise.name, Enterprise.district, cur.probability,
                                               cur.grade, cur.reasons, Enterprise.city_code, prev.probability,
                                               prev.grade))
    stmt = stmt.order_by(RiskGrade.probability.desc(), Enterprise.uscc).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [tuple(r) for r in session.execute(stmt)]


def graded_rows(session: Session, as_of: dt.date, policy_version: str, city_code: str | None = None) -> list[tuple]:
    """(uscc, name, district, probability, grade, reasons, city_code) ordered by probability, highest
    first; only one city's enterprises when ``city_code`` is given (the plan's population)."""
    f = RankingFilter(as_of, policy_version, enterprise=EnterpriseFilter(city_code=city_code or ""))
    return [r[:7] for r in ranking_rows(session, f)]


def ranking_count(session: Session, f: RankingFilter) -> int:
    return int(session.execute(_ranking_stmt(f, lambda cur, prev: (func.count(),))).scalar_one())


def grade_distribution(session: Session, as_of: dt.date, policy_version: str, city_code: str = "") -> dict[str, int]:
    """How many enterprises (of one city when ``city_code``) hold each grade at ``as_of``."""
    stmt = (select(RiskGrade.grade, func.count()).join(Enterprise, Enterprise.id == RiskGrade.enterprise_id)
            .where(RiskGrade.as_of == as_of, RiskGrade.policy_version == policy_version).group_by(RiskGrade.grade))
    if city_code:
        stmt = stmt.where(Enterprise.city_code == city_code)
    return {g: int(n) for g, n in session.execute(stmt)}


def stored_as_of_dates(session: Session, policy_version: str, limit: int = 120) -> list[dt.date]:
    """The as-of dates with stored grades, newest first (for the ranking's date choice)."""
    stmt = (select(RiskGrade.as_of).where(RiskGrade.policy_version == policy_version).distinct()
            .order_by(RiskGrade.as_of.desc()).limit(limit))
    return [r[0] for r in session.execute(stmt)]


def latest_as_of(session: Session, policy_version: str, before: dt.date | None = None) -> dt.date | None:
    """The newest as-of date with stored grades (strictly before ``before`` when given)."""
    stmt = select(RiskGrade.as_of).where(RiskGrade.policy_version == policy_version)
    if before is not None:
        stmt = stmt.where(RiskGrade.as_of < before)
    return session.scalar(stmt.order_by(RiskGrade.as_of.desc()).limit(1))


def enterprise_grades(session: Session, uscc: str, policy_version: str) -> list[tuple]:
    """(as_of, probability, grade, reasons) of one enterprise, newest first."""
    stmt = (select(RiskGrade.as_of, RiskGrade.probability, RiskGrade.grade, RiskGrade.reasons)
            .join(Enterprise, Enterprise.id == RiskGrade.enterprise_id)
            .where(Enterprise.uscc == uscc, RiskGrade.policy_version == policy_version)
            .order_by(RiskGrade.as_of.desc()))
    return [tuple(r) for r in session.execute(stmt)]


def enterprise_city(session: Session, uscc: str) -> tuple[str, str, str, str, int] | None:
    """(uscc, name, city_code, district, id) or None."""
    row = session.execute(select(Enterprise.uscc, Enterprise.name, Enterprise.city_code, Enterprise.district,
                                 Enterprise.id).where(Enterprise.uscc == uscc)).first()
    return tuple(row) if row else None


def get_plan(session: Session, plan_id: int) -> SamplingPlan | None:
    return session.get(SamplingPlan, plan_id)


# --- plans ----------------------------------------------------------------------------------------

def find_plan(session: Session, *, period: str, seed: int, budget: int, as_of: dt.date, policy_version: str,
              by_district: bool, floor: float, city_code: str = "") -> SamplingPlan | None:
    stmt = select(SamplingPlan).where(and_(
        SamplingPlan.period == period, SamplingPlan.seed == seed, SamplingPlan.budget == budget,
        SamplingPlan.as_of == as_of, SamplingPlan.policy_version == policy_version,
        SamplingPlan.by_district == by_district, SamplingPlan.floor == floor, SamplingPlan.city_code == city_code))
    return session.scalar(stmt)


def add_plan(session: Session, plan: SamplingPlan) -> SamplingPlan:
    session.add(plan)
    session.flush()
    return plan


def list_plans(session: Session, city_code: str | None = None, limit: int = 100) -> list[tuple]:
    """(id, period, seed, budget, as_of, policy_version, by_district, city_code, expected failures,
    expected failures of a uniform draw, created_at) of the stored plans, newest first, without
    their lists; a city's plans only when ``city_code`` is given."""
    stmt = select(SamplingPlan.id, SamplingPlan.period, SamplingPlan.seed, SamplingPlan.budget, SamplingPlan.as_of,
                  SamplingPlan.policy_version, SamplingPlan.by_district, SamplingPlan.city_code,
                  SamplingPlan.expected_failures, SamplingPlan.expected_failures_uniform, SamplingPlan.created_at)
    if city_code is not None:
        stmt = stmt.where(SamplingPlan.city_code == city_code)
    return [tuple(r) for r in session.execute(stmt.order_by(SamplingPlan.created_at.desc(), SamplingPlan.id.desc())
                                              .limit(limit))]
