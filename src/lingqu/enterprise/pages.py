"""HTML pages for enterprises: the searchable list and one enterprise's record."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lingqu.enterprise import service
from lingqu.enterprise.schemas import EnterpriseQuery
from lingqu.exceptions import LingquError
from lingqu.sampling import service as sampling_service
from lingqu.auth.scope import Scope
from lingqu.web.access import ScopeDep, allow
from lingqu.web.deps import SessionDep, error_page
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False, dependencies=[allow("regulator", "enterprise", "admin")])


def _list_url(query: EnterpriseQuery, page: int) -> str:
    params = {"q": query.q, "city": query.city, "district": query.district, "cluster": query.cluster}
    params = {k: v for k, v in params.items() if v}
    if page > 1:
        params["page"] = page
    return "/enterprises" + (f"?{urlencode(params)}" if params else "")


@router.get("/enterprises", response_class=HTMLResponse)
def enterprise_list(
    request: Request,
    session: SessionDep,
    scope: Scope = ScopeDep,
    q: str | None = None,
    city: str | None = None,
    district: str | None = None,
    cluster: str | None = None,
    page: str | None = None,
) -> HTMLResponse:
    try:
        query = service.parse_query(session, q=q, city=city, district=district, cluster=cluster, page=page)
        result = service.search(session, query, scope)
    except LingquError as exc:
        return error_page(request, exc)
    return templates.TemplateResponse(
        request,
        "enterprise_list.html",
        {
            "nav": "enterprises",
            "query": query,
            "result": result,
            "choices": service.filter_choices(session, query.city),
            "prev_url": _list_url(query, query.page - 1) if query.page > 1 else None,
            "next_url": _list_url(query, query.page + 1) if query.page < result.pages else None,
            "first_row": query.offset + 1,
        },
    )


@router.get("/enterprises/{uscc}", response_class=HTMLResponse)
def enterprise_detail(request: Request, uscc: str, session: SessionDep, scope: Scope = ScopeDep) -> HTMLResponse:
    try:
        enterprise = service.detail(session, uscc, scope)
    except LingquError as exc:
        return error_page(request, exc)
    history = sampling_service.history(session, enterprise.uscc, scope)
    return templates.TemplateResponse(
        request, "enterprise_detail.html", {"nav": "enterprises", "e": enterprise, "history": history},
    )
