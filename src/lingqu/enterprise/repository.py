"""All SQL about enterprises and what is recorded about them.

The list query is built for tens of thousands of enterprises: the filtered page of enterprise
ids is chosen first (``LIMIT``/``OFFSET`` on the enterprise table alone), and only those rows
are joined to their batches and aggregated, in one statement. Batches are reached through the
``(enterprise_id, sampled_on)`` index.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from lingqu.enterprise.models import Assistance, Certificate, Complaint, Enterprise
from lingqu.reference.models import City
from lingqu.dashboard.repository import enterprises_with_grade
from lingqu.sampling.batches_repository import BatchFilter
from lingqu.sampling.batches_repository import enterprise_ids as batch_enterprise_ids
from lingqu.sampling.models import Batch


@dataclass(frozen=True)
class EnterpriseFilter:
    """What to search for; empty strings mean no condition."""

    text: str = ""
    city_code: str = ""
    district: str = ""
    cluster: str = ""
    #: row scope: only this enterprise (an enterprise user's own record)
    only_uscc: str = ""
    #: only enterprises with a batch matching this filter (dashboard drill-down)
    batches: BatchFilter | None = None
    #: only enterprises whose latest risk grade is this
    grade: str = ""


def _escape_like(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def enterprise_where(f: EnterpriseFilter) -> list:
    """The SQL conditions on ``Enterprise`` of a filter; also used by the risk ranking's search."""
    conds = []
    if f.text:
        pattern = _escape_like(f.text)
        conds.append(
            or_(
                Enterprise.name.ilike(f"%{pattern}%", escape="\\"),
                Enterprise.uscc.like(f"{pattern.upper()}%", escape="\\"),
            )
        )
    if f.city_code:
        conds.append(Enterprise.city_code == f.city_code)
    if f.district:
        conds.append(Enterprise.district == f.district)
    if f.cluster:
        conds.append(Enterprise.cluster == f.cluster)
    if f.only_uscc:
        conds.append(Enterprise.uscc == f.only_uscc)
    if f.batches is not None and not f.batches.empty:
        conds.append(Enterprise.id.in_(batch_enterprise_ids(f.batches)))
    if f.grade:
        conds.append(Enterprise.id.in_(enterprises_with_grade(f.grade)))
    return conds


def count_enterprises(session: Session, f: EnterpriseFilter) -> int:
    return session.execute(select(func.count()).select_from(Enterprise).where(*enterprise_where(f))).scalar_one()


def _failed_batch():
    return case((Batch.passed.is_(False), 1), else_=0)


def list_page(session: Session, f: EnterpriseFilter, *, limit: int | None, offset: int = 0) -> list:
    """One page of enterprises (by name, then USCC) with batch count, failed batches and last date.

    Rows have: uscc, name, city_code, city_name, district, cluster, batches, failed_batches,
    last_sampled_on.
    """
    page_ids = (
        select(Enterprise.id)
        .where(*enterprise_where(f))
        .order_by(Enterprise.name, Enterprise.uscc)
        .limit(limit)
        .offset(offset)
        .subquery("page_ids")
    ) if limit is not None else select(Enterprise.id).where(*enterprise_where(f)).subquery("page_ids")
    stmt: Select = (
        select(
            Enterprise.uscc,
            Enterprise.name,
            Enterprise.city_code,
            City.name_zh.label("city_name"),
            Enterprise.district,
            Enterprise.cluster,
            func.count(Batch.id).label("batches"),
            func.coalesce(func.sum(_failed_batch()), 0).label("failed_batches"),
            func.max(Batch.sampled_on).label("last_sampled_on"),
        )
        .join(page_ids, page_ids.c.id == Enterprise.id)
        .join(City, City.code == Enterprise.city_code)
        .outerjoin(Batch, Batch.enterprise_id == Enterprise.id)
        .group_by(
            Enterprise.id, Enterprise.uscc, Enterprise.name, Enterprise.city_code, City.name_zh,
            Enterprise.district, Enterprise.cluster,
        )
        .order_by(Enterprise.name, Enterprise.uscc)
    )
    return list(session.execute(stmt))


def by_uscc(session: Session, uscc: str) -> tuple[Enterprise, str] | None:
    """The enterprise with this USCC and its city's name, or None."""
    row = session.execute(
        select(Enterprise, City.name_zh).join(City, City.code == Enterprise.city_code).where(Enterprise.uscc == uscc)
    ).first()
    return (row[0], row[1]) if row else None


def counts_by_cluster(session: Session, city_code: str | None) -> list[tuple[str, int]]:
    """(cluster, number of enterprises) in a city (None: the whole province), largest first."""
    n = func.count(Enterprise.id)
    stmt = select(Enterprise.cluster, n)
    if city_code is not None:
        stmt = stmt.where(Enterprise.city_code == city_code)
    stmt = stmt.group_by(Enterprise.cluster).order_by(n.desc(), Enterprise.cluster)
    return [(c, int(k)) for c, k in session.execute(stmt)]


def districts_in_use(session: Session, city_code: str = "") -> list[str]:
    """The districts enterprises are recorded in (of one city, or all), for filter choices."""
    stmt = select(Enterprise.district).distinct().where(Enterprise.district != "")
    if city_code:
        stmt = stmt.where(Enterprise.city_code == city_code)
    return sorted(session.execute(stmt).scalars())


def clusters_in_use(session: Session) -> list[str]:
    return sorted(session.execute(select(Enterprise.cluster).distinct()).scalars())


def certificates_of(session: Session, enterprise_id: int) -> list[Certificate]:
    stmt = (
        select(Certificate)
        .where(Certificate.enterprise_id == enterprise_id)
        .order_by(Certificate.issued_on.desc().nulls_last(), Certificate.certificate_no)
    )
    return list(session.execute(stmt).scalars())


def complaints_of(session: Session, enterprise_id: int) -> list[Complaint]:
    stmt = (
        select(Complaint)
        .where(Complaint.enterprise_id == enterprise_id)
        .order_by(Complaint.received_on.desc(), Complaint.complaint_no)
    )
    return list(session.execute(stmt).scalars())


def assistance_of(session: Session, enterprise_id: int) -> list[Assistance]:
    stmt = (
        select(Assistance)
        .where(Assistance.enterprise_id == enterprise_id)
        .order_by(Assistance.started_on.desc(), Assistance.assistance_no)
    )
    return list(session.execute(stmt).scalars())


def results_of(session: Session, enterprise_id: int) -> list:
    """Every test result of the enterprise's batches: (batch_id, test_item, passed, measured_value,
    unit, limit_text), in item order; read through the (batch_id, test_item) unique index."""
    from lingqu.sampling.models import TestResult

    stmt = (
        select(TestResult.batch_id, TestResult.test_item, TestResult.passed, TestResult.measured_value,
               TestResult.unit, TestResult.limit_text)
        .join(Batch, Batch.id == TestResult.batch_id)
        .where(Batch.enterprise_id == enterprise_id)
        .order_by(TestResult.batch_id, TestResult.id)
    )
    return list(session.execute(stmt))


def grades_of(session: Session, enterprise_id: int) -> list:
    from lingqu.risk.models import RiskGrade

    stmt = select(RiskGrade).where(RiskGrade.enterprise_id == enterprise_id).order_by(RiskGrade.as_of.desc(), RiskGrade.id.desc())
    return list(session.execute(stmt).scalars())


def alerts_of(session: Session, enterprise_id: int) -> list:
    """Alerts raised on this enterprise's own series (scope ``enterprise``, key = its id)."""
    from lingqu.alert.models import Alert

    stmt = (
        select(Alert)
        .where(Alert.scope == "enterprise", Alert.scope_key == str(enterprise_id))
        .order_by(Alert.raised_at.desc(), Alert.id.desc())
    )
    return list(session.execute(stmt).scalars())
