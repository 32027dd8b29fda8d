"""HTML pages for sampling results: the city overview (/overview), the batch list (/batches) and
pass rates (/stats/pass-rate). Each honours the city switcher and downloads its tables with
``?format=csv|xlsx`` (same filters, same row scope)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lingqu.auth.scope import Scope
from lingqu.enterprise import service as enterprise_service
from lingqu.enterprise.schemas import CLUSTER_LABELS
from lingqu.exceptions import LingquError
from lingqu.sampling import batches, passrate, service
from lingqu.sampling.schemas import BatchQuery, BatchRow, Overview, PassRateReport
from lingqu.web import choice
from lingqu.web.access import ScopeDep, allow
from lingqu.web.deps import SessionDep
from lingqu.web.export import Table, export_response, parse_format
from lingqu.web.i18n import language_of
from lingqu.web.templating import WEB_DIR, templates

router = APIRouter(include_in_schema=False)

#: ECharts is vendored by the web build; the pass-rate page draws its chart only when it is there.
ECHARTS = WEB_DIR / "static" / "vendor" / "echarts.min.js"


def _pct(x):
    return None if x is None else round(x * 100, 2)


def _verdict(passed: bool | None) -> str:
    return "待判定" if passed is None else ("合格" if passed else "不合格")


def overview_tables(o: Overview) -> list[Table]:
    return [
        Table("years", "历年抽检情况", ["年度", "抽检批次", "合格批次", "不合格批次", "合格率%"],
              [[y.year, y.batches, y.passed_batches, y.failed_batches, _pct(y.pass_rate)] for y in o.years]),
        Table("items", "不合格项目排行", ["检验项目", "不合格批次", "检验批次", "不合格率%"],
              [[i.test_item, i.failed, i.tested, _pct(i.fail_rate)] for i in o.top_failing_items]),
    ]


@router.get("/overview", response_class=HTMLResponse, dependencies=[allow("regulator", "admin")])
def overview(request: Request, session: SessionDep, scope: Scope = ScopeDep, city: str | None = None,
             format: str | None = None, table: str | None = None) -> HTMLResponse:
    """The chosen city's overview, or the whole province's when 全省 is chosen (``?city=`` or the
    switcher's cookie; a city-bound regulator: always its own city). With no choice at all: the
    default city, as before the switcher existed."""
    fmt = parse_format(format)
    province = city == "" or (city is None and request.cookies.get(choice.COOKIE) == choice.ALL)
    data = service.overview(session, choice.city_param(request, city), scope, province=province)
    if fmt:
        return export_response(overview_tables(data), fmt, f"overview-{data.city.code or 'province'}", language_of(request), table)
    return templates.TemplateResponse(request, "overview.html", {"nav": "overview", "o": data})


BATCH_COLUMNS = ["抽样编号", "抽样日期", "统一社会信用代码", "企业名称", "城市", "区县", "产品名称", "商标", "规格型号",
                 "抽样环节", "结论", "检验项目数", "不合格项目"]


def batch_table(rows: list[BatchRow]) -> Table:
    return Table("batches", "抽检批次", BATCH_COLUMNS, [
        [b.batch_no, b.sampled_on, b.uscc, b.enterprise_name, b.city_name, b.district, b.product_name, b.brand,
         b.model, b.channel_label, _verdict(b.passed), b.item_count, "、".join(b.failed_items)] for b in rows])


def _batch_url(query: BatchQuery, page: int | None = None, **extra) -> str:
    params = {"city": query.city, "district": query.district, "year": query.year, "quarter": query.quarter,
              "test_item": query.test_item, "uscc": query.uscc,
              "passed": None if query.passed is None else int(query.passed)}
    params = {k: v for k, v in params.items() if v not in (None, "")}
    params["city"] = query.city  # explicit, so the page keeps its city whatever the switcher says
    if page and page > 1:
        params["page"] = page
    params.update(extra)
    return "/batches?" + urlencode(params)


@router.get("/batches", response_class=HTMLResponse, dependencies=[allow("regulator", "admin")])
def batch_list(
    request: Request, session: SessionDep, scope: Scope = ScopeDep,
    city: str | None = None, district: str | None = None, year: str | None = None, quarter: str | None = None,
    test_item: str | None = None, passed: str | None = None, uscc: str | None = None, page: str | None = None,
    format: str | None = None,
) -> HTMLResponse:
    """Sampled batches behind a dashboard figure, newest first, 50 a page."""
    fmt = parse_format(format)
    query = batches.parse_query(session, city=choice.city_param(request, city), district=district, year=year,
                                quarter=quarter, test_item=test_item, passed=passed, uscc=uscc, page=page)
    if fmt:
        rows = batches.all_batches(session, query, scope)
        return export_response([batch_table(rows)], fmt, "batches", language_of(request))
    result = batches.list_batches(session, query, scope)
    q = result.query
    return templates.TemplateResponse(request, "batch_list.html", {
        "nav": "batches", "query": q, "result": result,
        "cities": [c for c in enterprise_service.cities(session) if scope.allows_city(c.code)],
        "choices": batches.filter_choices(session, q.city),
        "prev_url": _batch_url(q, q.page - 1) if q.page > 1 else None,
        "next_url": _batch_url(q, q.page + 1) if q.page < result.pages else None,
        "csv_url": _batch_url(q, None, format="csv"), "xlsx_url": _batch_url(q, None, format="xlsx"),
        "first_row": q.offset + 1,
    })


def pass_rate_tables(r: PassRateReport) -> list[Table]:
    unit = "批次" if r.unit == "batch" else "检验次数"
    columns = [passrate.DIMENSIONS[r.by], "期间", unit, "不合格", "合格率%", "95%区间下限%", "95%区间上限%", "距目标（百分点）", "对照目标"]
    rows = []
    for row in r.rows:
        n = row.batches if r.unit == "batch" else row.tests
        rows.append([row.label, "", n, row.failures, _pct(row.pass_rate), _pct(row.lower), _pct(row.upper),
                     _pct(row.gap_to_target), row.target_status_label])
        for p in row.trend or []:
            pn = p.batches if r.unit == "batch" else p.tests
            rows.append([row.label, p.label, pn, p.failures, _pct(p.pass_rate), _pct(p.lower), _pct(p.upper),
                         _pct(p.gap_to_target), p.target_status_label])
    o = r.overall
    rows.append(["合计", "", o.batches if r.unit == "batch" else o.tests, o.failures, _pct(o.pass_rate), _pct(o.lower),
                 _pct(o.upper), _pct(o.gap_to_target), o.target_status_label])
    return [Table("pass_rate", "合格率统计", columns, rows)]


@router.get("/stats/pass-rate", response_class=HTMLResponse, dependencies=[allow("regulator", "admin")])
def pass_rate(
    request: Request,
    session: SessionDep,
    scope: Scope = ScopeDep,
    by: str | None = passrate.DEFAULT_BY,
    period: str | None = None,
    city: str | None = None,
    cluster: str | None = None,
    trend: str | None = None,
    format: str | None = None,
) -> HTMLResponse:
    """The form (by, period, city, cluster, trend) and the table; a bad value is shown beside the form."""
    fmt = parse_format(format)
    city = choice.city_param(request, city)
    form = {"by": by or "", "period": period or "", "city": city or "", "cluster": cluster or "", "trend": trend or ""}
    context = {
        "nav": "pass_rate", "form": form, "report": None, "error": None,
        "dimensions": passrate.DIMENSIONS, "trends": passrate.TRENDS, "clusters": CLUSTER_LABELS,
        "cities": [c for c in enterprise_service.cities(session) if scope.allows_city(c.code)], "echarts": ECHARTS.is_file(),
    }
    try:
        query = passrate.scoped(passrate.parse_query(by=by, period=period, city=city, cluster=cluster, trend=trend), scope)
    except LingquError as exc:
        if fmt or exc.status_code in (401, 403):
            raise
        context["error"] = exc
        return templates.TemplateResponse(request, "pass_rate.html", context, status_code=exc.status_code)
    report = passrate.pass_rate(session, query)
    if fmt:
        return export_response(pass_rate_tables(report), fmt, f"pass-rate-{query.by}", language_of(request))
    context["form"] = {"by": query.by, "period": query.period or "", "city": query.city or "",
                       "cluster": query.cluster or "", "trend": query.trend or ""}
    context["report"] = report
    context["export_query"] = urlencode({k: v for k, v in context["form"].items() if v} | {"city": query.city or ""})
    return templates.TemplateResponse(request, "pass_rate.html", context)
