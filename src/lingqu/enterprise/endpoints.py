"""JSON API for enterprises: search with filters and paging, and one enterprise's record."""

from __future__ import annotations

from fastapi import APIRouter, Query

from lingqu.enterprise import service
from lingqu.enterprise.schemas import EnterpriseDetail, EnterprisePage, EnterpriseTimeline
from lingqu.auth.scope import Scope
from lingqu.web.access import ScopeDep, allow
from lingqu.web.deps import SessionDep

router = APIRouter(tags=["enterprises"], dependencies=[allow("regulator", "enterprise", "admin")])


@router.get("/enterprises", response_model=EnterprisePage)
def list_enterprises(
    session: SessionDep,
    scope: Scope = ScopeDep,
    q: str | None = Query(None, description="名称片段或统一社会信用代码前缀 (name substring or USCC prefix)"),
    city: str | None = Query(None, description="城市代码, e.g. 440300"),
    district: str | None = Query(None, description="区 (exact)"),
    cluster: str | None = Query(None, description="产业集群, e.g. power_bank"),
    year: str | None = Query(None, description="only enterprises with a batch sampled in this year"),
    quarter: str | None = Query(None, description="1–4, with year: a batch sampled in this quarter"),
    test_item: str | None = Query(None, description="only enterprises with a batch tested on this item"),
    passed: str | None = Query(None, description="1 / 0: a passed / failed batch (on test_item when given)"),
    grade: str | None = Query(None, description="A–D: the latest risk grade"),
    page: str | None = Query(None, description="page number, ≥ 1 (default 1)"),
    page_size: str | None = Query(None, description="rows per page, 1–200 (default 50)"),
) -> EnterprisePage:
    query = service.parse_query(session, q=q, city=city, district=district, cluster=cluster, page=page, page_size=page_size,
                                year=year, quarter=quarter, test_item=test_item, passed=passed, grade=grade)
    return service.search(session, query, scope)


@router.get("/enterprises/{uscc}/timeline", response_model=EnterpriseTimeline)
def get_enterprise_timeline(uscc: str, session: SessionDep, scope: Scope = ScopeDep) -> EnterpriseTimeline:
    """Batches (with their items), certificates, complaints, assistance, risk grades and (for
    regulators) alerts, newest first."""
    return service.timeline(session, uscc, scope)


@router.get("/enterprises/{uscc}", response_model=EnterpriseDetail)
def get_enterprise(uscc: str, session: SessionDep, scope: Scope = ScopeDep) -> EnterpriseDetail:
    return service.detail(session, uscc, scope)
