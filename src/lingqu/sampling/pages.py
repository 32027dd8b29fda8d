"""HTML pages for sampling results: the city overview at ``/`` and pass rates at ``/stats/pass-rate``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lingqu.enterprise import service as enterprise_service
from lingqu.enterprise.schemas import CLUSTER_LABELS
from lingqu.exceptions import LingquError
from lingqu.sampling import passrate, service
from lingqu.auth.scope import Scope
from lingqu.web.access import ROLES, ScopeDep, allow
from lingqu.web.deps import SessionDep, error_page
from lingqu.web.templating import WEB_DIR, templates

router = APIRouter(include_in_schema=False)

#: ECharts is vendored by the web build; the pass-rate page draws its chart only when it is there.
ECHARTS = WEB_DIR / "static" / "vendor" / "echarts.min.js"


@router.get("/", response_class=HTMLResponse, dependencies=[allow(*ROLES)])
def overview(request: Request, session: SessionDep, scope: Scope = ScopeDep, city: str | None = None) -> HTMLResponse:
    """The regulator's overview; an enterprise lands on its own record, an institution on its tools."""
    if scope.uscc:
        return RedirectResponse(f"/enterprises/{scope.uscc}", status_code=303)
    if scope.no_enterprise_data:
        return RedirectResponse("/tools/acceptance", status_code=303)
    try:
        data = service.overview(session, city, scope)
    except LingquError as exc:
        return error_page(request, exc)
    return templates.TemplateResponse(request, "overview.html", {"nav": "overview", "o": data})


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
) -> HTMLResponse:
    """The form (by, period, city, cluster, trend) and the table; a bad value is shown beside the form."""
    form = {"by": by or "", "period": period or "", "city": city or "", "cluster": cluster or "", "trend": trend or ""}
    context = {
        "nav": "pass_rate", "form": form, "report": None, "error": None,
        "dimensions": passrate.DIMENSIONS, "trends": passrate.TRENDS, "clusters": CLUSTER_LABELS,
        "cities": [c for c in enterprise_service.cities(session) if scope.allows_city(c.code)], "echarts": ECHARTS.is_file(),
    }
    try:
        query = passrate.scoped(passrate.parse_query(by=by, period=period, city=city, cluster=cluster, trend=trend), scope)
    except LingquError as exc:
        context["error"] = exc
        return templates.TemplateResponse(request, "pass_rate.html", context, status_code=exc.status_code)
    context["form"] = {"by": query.by, "period": query.period or "", "city": query.city or "",
                       "cluster": query.cluster or "", "trend": query.trend or ""}
    context["report"] = passrate.pass_rate(session, query)
    return templates.TemplateResponse(request, "pass_rate.html", context)
