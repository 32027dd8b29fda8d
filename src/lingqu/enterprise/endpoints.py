"""JSON API for enterprises: search with filters and paging, and one enterprise's record."""

from __future__ import annotations

from fastapi import APIRouter, Query

from lingqu.enterprise import service
from lingqu.enterprise.schemas import EnterpriseDetail, EnterprisePage
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
    page: str | None = Query(None, description="page number, ≥ 1 (default 1)"),
    page_size: str | None = Query(None, description="rows per page, 1–200 (default 50)"),
) -> EnterprisePage:
    query = service.parse_query(session, q=q, city=city, district=district, cluster=cluster, page=page, page_size=page_size)
    return service.search(session, query, scope)


@router.get("/enterprises/{uscc}", response_model=EnterpriseDetail)
def get_enterprise(uscc: str, session: SessionDep, scope: Scope = ScopeDep) -> EnterpriseDetail:
    return service.detail(session, uscc, scope)
