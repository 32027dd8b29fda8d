"""HTML pages for enterprises: the searchable list (with the dashboard's drill-down filters) and
one enterprise's record as a timeline. ``?format=csv|xlsx`` downloads the table shown, with the
same filters and row scope (an enterprise user only ever gets its own row)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lingqu.auth.scope import Scope
from lingqu.enterprise import service
from lingqu.enterprise.schemas import EnterpriseQuery, EnterpriseRow, EnterpriseTimeline
from lingqu.sampling import service as sampling_service
from lingqu.web import choice
from lingqu.web.access import ScopeDep, allow
from lingqu.web.deps import SessionDep
from lingqu.web.export import Table, export_response, parse_format
from lingqu.web.i18n import language_of
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False, dependencies=[allow("regulator", "enterprise", "admin")])


def _params(query: EnterpriseQuery) -> dict:
    params = {"q": query.q, "city": query.city, "district": query.district, "cluster": query.cluster,
              "year": query.year, "quarter": query.quarter, "test_item": query.test_item,
              "passed": None if query.passed is None else int(query.passed), "grade": query.grade}
    params = {k: v for k, v in params.items() if v not in (None, "")}
    params["city"] = query.city  # explicit, so the list keeps its city whatever the switcher says
    return params


def _list_url(query: EnterpriseQuery, page: int | None = None, **extra) -> str:
    params = _params(query)
    if page and page > 1:
        params["page"] = page
    params.update(extra)
    return "/enterprises?" + urlencode(params)


def enterprise_table(rows: list[EnterpriseRow]) -> Table:
    return Table("enterprises", "企业", ["统一社会信用代码", "企业名称", "城市", "区县", "产业集群", "抽检批次", "不合格批次", "最近抽检"], [
        [e.uscc, e.name, e.city_name, e.district, e.cluster_label, e.batches, e.failed_batches, e.last_sampled_on]
        for e in rows])


@router.get("/enterprises", response_class=HTMLResponse)
def enterprise_list(
    request: Request,
    session: SessionDep,
    scope: Scope = ScopeDep,
    q: str | None = None,
    city: str | None = None,
    district: str | None = None,
    cluster: str | None = None,
    year: str | None = None,
    quarter: str | None = None,
    test_item: str | None = None,
    passed: str | None = None,
    grade: str | None = None,
    page: str | None = None,
    format: str | None = None,
) -> HTMLResponse:
    fmt = parse_format(format)
    if scope.uscc is None:
        city = choice.city_param(request, city)
    query = service.parse_query(session, q=q, city=city, district=district, cluster=cluster, page=page, year=year,
                                quarter=quarter, test_item=test_item, passed=passed, grade=grade)
    if fmt:
        return export_response([enterprise_table(service.search_all(session, query, scope))], fmt, "enterprises",
                               language_of(request))
    result = service.search(session, query, scope)
    query = service.scoped_query(query, scope)
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
            "csv_url": _list_url(query, format="csv"), "xlsx_url": _list_url(query, format="xlsx"),
            "first_row": query.offset + 1,
        },
    )


def timeline_table(tl: EnterpriseTimeline) -> Table:
    rows = []
    for ev in tl.events:
        items = "、".join(f"{i.test_item}{'' if i.passed else '（不合格）'}" for i in ev.items)
        rows.append([ev.on, ev.kind_label, ev.title, ev.detail, items])
    return Table("timeline", "企业档案时间线", ["日期", "类别", "事项", "说明", "检验项目"], rows)


@router.get("/enterprises/{uscc}", response_class=HTMLResponse)
def enterprise_detail(request: Request, uscc: str, session: SessionDep, scope: Scope = ScopeDep,
                      format: str | None = None) -> HTMLResponse:
    fmt = parse_format(format)
    enterprise = service.detail(session, uscc, scope)
    tl = service.timeline(session, enterprise.uscc, scope)
    if fmt:
        return export_response([timeline_table(tl)], fmt, f"enterprise-{enterprise.uscc}", language_of(request))
    history = sampling_service.history(session, enterprise.uscc, scope)
    return templates.TemplateResponse(
        request, "enterprise_detail.html",
        {"nav": "enterprises", "e": enterprise, "history": history, "timeline": tl},
    )
