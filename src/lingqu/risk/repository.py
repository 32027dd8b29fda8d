"""All SQL of risk grading and sampling plans.

Reads return Polars frames (one column per field) for the columnar feature pipeline; only rows
dated strictly before the as-of date are read, so nothing later can reach a grade.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from lingqu.enterprise.models import Assistance, Certificate, Complaint, Enterprise
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


def graded_rows(session: Session, as_of: dt.date, policy_version: str, city_code: str | None = None) -> list[tuple]:
    """(uscc, name, district, probability, grade, reasons, city_code) ordered by probability, highest
    first; only one city's enterprises when ``city_code`` is given."""
    stmt = (select(Enterprise.uscc, Enterprise.name, Enterprise.district, RiskGrade.probability, RiskGrade.grade,
                   RiskGrade.reasons, Enterprise.city_code)
            .join(Enterprise, Enterprise.id == RiskGrade.enterprise_id)
            .where(RiskGrade.as_of == as_of, RiskGrade.policy_version == policy_version)
            .order_by(RiskGrade.probability.desc(), Enterprise.uscc))
    if city_code is not None:
        stmt = stmt.where(Enterprise.city_code == city_code)
    return [tuple(r) for r in session.execute(stmt)]


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


def enterprise_city(session: Session, uscc: str) -> tuple[str, str, str, str] | None:
    """(uscc, name, city_code, district) or None."""
    row = session.execute(select(Enterprise.uscc, Enterprise.name, Enterprise.city_code, Enterprise.district)
                          .where(Enterprise.uscc == uscc)).first()
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
