"""All SQL about service requests.

Who sees which request is one ``WHERE`` (:class:`RequestFilter`), so lists, counts and single
reads apply exactly the same rule, and a request outside it is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from lingqu.enterprise.models import Enterprise
from lingqu.institution.models import Institution
from lingqu.reference.models import City
from lingqu.sampling.models import Batch
from lingqu.service_request.models import ServiceRequest


@dataclass(frozen=True)
class InstitutionView:
    """What an institution may see: requests addressed to it, and open new requests whose topic
    it provides (and whose standard, if named, is in its scope) that it has not passed on."""

    institution_id: int
    topics: tuple[str, ...]
    standards: tuple[str, ...]


@dataclass(frozen=True)
class RequestFilter:
    enterprise_id: int | None = None
    city_code: str = ""
    institution: InstitutionView | None = None
    status: str = ""
    topic: str = ""
    text: str = ""


def _escape_like(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(f: RequestFilter) -> list:
    conds = []
    if f.enterprise_id is not None:
        conds.append(ServiceRequest.enterprise_id == f.enterprise_id)
    if f.city_code:
        conds.append(ServiceRequest.city_code == f.city_code)
    if f.institution is not None:
        v = f.institution
        open_match = and_(
            ServiceRequest.institution_id.is_(None),
            ServiceRequest.status == "new",
            ServiceRequest.topic.in_(v.topics or ("",)),
            or_(ServiceRequest.standard_code == "", ServiceRequest.standard_code.in_(v.standards or ("",))),
            ~ServiceRequest.declined_by.like(f"%,{v.institution_id},%"),
        )
        conds.append(or_(ServiceRequest.institution_id == v.institution_id, open_match))
    if f.status:
        conds.append(ServiceRequest.status == f.status)
    if f.topic:
        conds.append(ServiceRequest.topic == f.topic)
    if f.text:
        pattern = f"%{_escape_like(f.text)}%"
        conds.append(or_(ServiceRequest.request_no.ilike(pattern, escape="\\"),
                         Enterprise.name.ilike(pattern, escape="\\"),
                         ServiceRequest.description.ilike(pattern, escape="\\")))
    return conds


def _rows_stmt():
    inst = aliased(Institution)
    return (
        select(ServiceRequest, Enterprise.uscc, Enterprise.name, City.name_zh, inst.name, Batch.batch_no)
        .join(Enterprise, Enterprise.id == ServiceRequest.enterprise_id)
        .join(City, City.code == ServiceRequest.city_code)
        .outerjoin(inst, inst.id == ServiceRequest.institution_id)
        .outerjoin(Batch, Batch.id == ServiceRequest.batch_id)
    )


def count(session: Session, f: RequestFilter) -> int:
    stmt = (select(func.count()).select_from(ServiceRequest)
            .join(Enterprise, Enterprise.id == ServiceRequest.enterprise_id).where(*_where(f)))
    return session.execute(stmt).scalar_one()


def list_page(session: Session, f: RequestFilter, *, limit: int, offset: int) -> list[tuple]:
    """(request, uscc, enterprise name, city name, institution name, batch no), newest first."""
    stmt = _rows_stmt().where(*_where(f)).order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
    return [tuple(r) for r in session.execute(stmt.limit(limit).offset(offset))]


def get_row(session: Session, request_id: int, f: RequestFilter) -> tuple | None:
    row = session.execute(_rows_stmt().where(ServiceRequest.id == request_id, *_where(f))).first()
    return tuple(row) if row else None


def lock(session: Session, request_id: int) -> ServiceRequest | None:
    stmt = select(ServiceRequest).where(ServiceRequest.id == request_id).with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def add(session: Session, request: ServiceRequest) -> ServiceRequest:
    session.add(request)
    session.flush()
    return request


def flush(session: Session) -> None:
    session.flush()


def batch_of(session: Session, enterprise_id: int, batch_no: str) -> Batch | None:
    stmt = select(Batch).where(Batch.enterprise_id == enterprise_id, Batch.batch_no == batch_no)
    return session.execute(stmt).scalar_one_or_none()


def recent_batches(session: Session, enterprise_id: int, limit: int = 50) -> list[str]:
    stmt = (select(Batch.batch_no).where(Batch.enterprise_id == enterprise_id)
            .order_by(Batch.sampled_on.desc(), Batch.batch_no).limit(limit))
    return list(session.execute(stmt).scalars())


def institutions_for(session: Session, kinds: tuple[str, ...] | None = None) -> list[Institution]:
    stmt = select(Institution).order_by(Institution.city_code, Institution.name)
    if kinds:
        stmt = stmt.where(Institution.kind.in_(kinds))
    return list(session.execute(stmt).scalars())


def enterprises_with_requests(session: Session) -> int:
    return session.execute(select(func.count(func.distinct(ServiceRequest.enterprise_id)))).scalar_one()


def any_request(session: Session) -> bool:
    return session.execute(select(ServiceRequest.id).limit(1)).first() is not None


def demo_enterprises(session: Session, demo_uscc: str, limit: int) -> tuple[Enterprise | None, list[Enterprise]]:
    """The demo account's enterprise and the first ``limit`` others by USCC (deterministic)."""
    demo = session.execute(select(Enterprise).where(Enterprise.uscc == demo_uscc)).scalar_one_or_none()
    others = list(session.execute(select(Enterprise).where(Enterprise.uscc != demo_uscc)
                                  .order_by(Enterprise.uscc).limit(limit)).scalars())
    return demo, others


def audit_trail(session: Session, request_no: str) -> list:
    """The audit entries of one request, oldest first (the audit log is the record of its steps)."""
    from lingqu.audit.models import AuditEntry

    stmt = (select(AuditEntry).where(AuditEntry.entity == "service_request", AuditEntry.entity_key == request_no)
            .order_by(AuditEntry.id))
    return list(session.execute(stmt).scalars())
