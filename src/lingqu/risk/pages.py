"""HTML pages: the risk ranking at ``/risk``, an enterprise's risk card at ``/risk/{uscc}``, and the
sampling-plan form at ``/plan`` with CSV/XLSX export. City-bound regulators see and draw among
their own city's enterprises only."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from lingqu.auth.scope import Scope
from lingqu.enterprise import repository as enterprise_repository
from lingqu.enterprise import service as enterprise_service
from lingqu.exceptions import LingquError
from lingqu.risk import plan, ranking, repository, service
from lingqu.stats.grading import DEFAULT_POLICY
from lingqu.web.access import ScopeDep, allow
from lingqu.web.choice import chosen_city, city_param
from lingqu.web.deps import DbId, SessionDep, error_page
from lingqu.web.export import Table, export_response, parse_format
from lingqu.web.i18n import language_of, translate
from lingqu.web.sessions import check_csrf
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False)
ROLES = allow("regulator", "admin")
PlanId = DbId


def ranking_table(data: dict, city_names: dict[str, str], lang: str) -> Table:
    """The ranking as exported: every matching row, the reasons in the reader's language with
    their size in percentage points."""
    key = "text_en" if lang == "en" else "text_zh"
    rows = [[e["grade"], round(e["probability"] * 100, 1),
             None if e["previous_probability"] is None else round(e["previous_probability"] * 100, 1),
             e["previous_grade"] or "", e["name"], e["uscc"], city_names.get(e["city_code"], e["city_code"]),
             e["district"] or "",
             "；".join(f"{'↑' if r['direction'] == 'up' else '↓'} {r[key]} ({r['points']:+.1f})" for r in e["reasons"])]
            for e in data["grades"]]
    return Table("risk", "风险分级", ["等级", "不合格概率(%)", "上期不合格概率(%)", "上期等级", "企业名称",
                                      "统一社会信用代码", "城市", "区县", "原因（个百分点）"], rows)


@router.get("/risk", response_class=HTMLResponse, dependencies=[ROLES])
def risk_ranking(request: Request, session: SessionDep, scope: Scope = ScopeDep, as_of: str | None = None,
                 city: str | None = None, q: str | None = None, district: str | None = None, grade: str | None = None,
                 change: str | None = None, page: str | None = None, format: str | None = None) -> Response:
    """A city-bound regulator sees its city; a province-wide one the city of the switcher (or ``city=``).
    Filters: search text, district, grade(s), change since the previous grading; ``format=csv|xlsx``
    downloads every matching row."""
    try:
        fmt = parse_format(format)
        view_city = scope.city_code or city_param(request, city)
        query = ranking.parse_ranking_query(as_of=as_of, q=q, district=district, grade=grade, change=change, page=page)
        data = ranking.grade_ranking(session, query, city_code=view_city, everything=bool(fmt))
    except LingquError as exc:
        return error_page(request, exc)
    if fmt:
        return export_response([ranking_table(data, repository.city_names(session), language_of(request))], fmt,
                               f"risk-{data['as_of'] or 'none'}", language_of(request))
    params = query.params()

    def url(**extra) -> str:
        # the city stays explicit (even "" for the whole province), so links keep the view whatever the switcher says
        kept = {k: v for k, v in {**params, **extra}.items() if v not in (None, "")}
        return "/risk?" + urlencode({**kept, "city": view_city or ""})

    return templates.TemplateResponse(request, "risk_grades.html", {
        "nav": "risk", "g": data, "query": query, "changes": ranking.CHANGES, "view_city": view_city or "",
        "as_of_dates": repository.stored_as_of_dates(session, DEFAULT_POLICY.version),
        "districts": enterprise_repository.districts_in_use(session, view_city or ""),
        "prev_url": url(page=query.page - 1) if query.page > 1 else None,
        "next_url": url(page=query.page + 1) if query.page < data["pages"] else None,
        "grade_url": {gr: url(grade=gr, page=None) for gr in data["distribution"]},
        "csv_url": url(format="csv", page=None), "xlsx_url": url(format="xlsx", page=None),
        "first_row": query.offset + 1})


def _month_start(d: dt.date, back_months: int = 0) -> dt.date:
    m = d.year * 12 + d.month - 1 - back_months
    return dt.date(m // 12, m % 12 + 1, 1)


@router.get("/risk/backtest", response_class=HTMLResponse, dependencies=[ROLES])
def risk_backtest(request: Request, session: SessionDep, scope: Scope = ScopeDep, cutoff: str | None = None,
                  start: str | None = Query(None, alias="from"), end: str | None = Query(None, alias="to"),
                  city: str | None = None) -> HTMLResponse:
    """The back-test on the platform's own batches with a chosen cutoff, and the check of the stored
    grades against the batches that followed them. Defaults: the last twelve complete months."""
    from lingqu.risk.calibration import backtest_own_history, latest_sampled_on, stored_grade_calibration

    view_city = scope.city_code or city_param(request, city)
    latest = latest_sampled_on(session)
    default_end = _month_start(latest, -1) if latest else dt.date.today()
    default_start = _month_start(default_end, 12)
    ctx = {"nav": "risk", "error": None, "bt": None, "cal": None, "chart_json": "null",
           "cutoff": cutoff or default_start.isoformat(), "start": start or default_start.isoformat(),
           "end": end or default_end.isoformat()}
    try:
        if latest is None:
            raise LingquError("尚无抽检批次，无法检验 (no sampled batch yet)", field="cutoff")
        day = service.parse_as_of(ctx["cutoff"], field="cutoff")
        report = backtest_own_history(session, day, city_code=view_city).as_dict()
        ctx["bt"] = report
        if report["metrics"]:
            ctx["chart_json"] = json.dumps({
                "labels": {"x": translate("预测概率", language_of(request)), "y": translate("实际不合格率", language_of(request))},
                "points": [[round(b["mean_predicted"], 4), round(b["observed_rate"], 4), b["n"]]
                           for b in report["metrics"]["calibration"] if b["n"]]})
        ctx["cal"] = stored_grade_calibration(session, service.parse_as_of(ctx["start"], field="from"),
                                              service.parse_as_of(ctx["end"], field="to"), city_code=view_city)
    except LingquError as exc:
        ctx["error"] = exc.message
        return templates.TemplateResponse(request, "risk_backtest.html", ctx, status_code=exc.status_code)
    return templates.TemplateResponse(request, "risk_backtest.html", ctx)


@router.get("/risk/{uscc}", response_class=HTMLResponse, dependencies=[ROLES])
def risk_card(request: Request, uscc: str, session: SessionDep, scope: Scope = ScopeDep) -> HTMLResponse:
    try:
        card = service.enterprise_card(session, uscc, scope)
    except LingquError as exc:
        return error_page(request, exc)
    return templates.TemplateResponse(request, "risk_card.html", {"nav": "risk", "c": card})


def _plan_city(request: Request, session, scope: Scope) -> tuple[str | None, str]:
    """The city a plan is drawn in and its name: a city-bound regulator's own city; a province-wide
    user's the city switcher's (as the risk ranking), or the whole province (全省)."""
    code = scope.city_code or chosen_city(request)
    return code, (enterprise_service.check_city(session, code).name if code else "全省")


def _plan_page(request: Request, session, scope: Scope, status_code: int = 200, **ctx) -> HTMLResponse:
    """The plan page: the draw form, the plan shown (just drawn or opened), and the published plans."""
    _, name = _plan_city(request, session, scope)
    names = repository.city_names(session)
    context = {"nav": "plan", "form": {}, "plan": None, "error": None, "city_name": name,
               "plans": plan.list_plans(session, scope), "city_names": names, **ctx}
    return templates.TemplateResponse(request, "plan_draw.html", context, status_code=status_code)


@router.get("/plan", response_class=HTMLResponse, dependencies=[ROLES])
def plan_form(request: Request, session: SessionDep, scope: Scope = ScopeDep) -> HTMLResponse:
    return _plan_page(request, session, scope)


@router.get("/plan/{plan_id}", response_class=HTMLResponse, dependencies=[ROLES])
def plan_view(request: Request, plan_id: PlanId, session: SessionDep, scope: Scope = ScopeDep) -> HTMLResponse:
    """A published plan: its list, expected findings and exports (another city's plan: 404)."""
    try:
        shown = {**plan.stored_plan_dict(plan.get_plan(session, plan_id, scope)), "status": "stored"}
    except LingquError as exc:
        return error_page(request, exc)
    return _plan_page(request, session, scope, plan=shown)


@router.post("/plan", response_class=HTMLResponse, dependencies=[ROLES])
def plan_draw(request: Request, session: SessionDep, scope: Scope = ScopeDep, budget: str = Form(""),
              period: str = Form(""), seed: str = Form(""), by_district: str = Form(""),
              csrf: str = Form("", alias="csrf_token")) -> HTMLResponse:
    form = {"budget": budget, "period": period, "seed": seed, "by_district": bool(by_district)}
    city_code, _ = _plan_city(request, session, scope)
    try:
        check_csrf(request, csrf)
        if not budget.strip().isdigit() or not seed.strip().isdigit():
            raise LingquError("预算和随机种子须为整数 (budget and seed must be whole numbers)", field="budget")
        user = getattr(request.state, "user", None)
        drawn = plan.draw(session, budget=int(budget), period=period, seed=int(seed), by_district=bool(by_district),
                          actor=getattr(user, "username", None) or "web", city_code=city_code).as_dict()
    except LingquError as exc:
        session.rollback()
        return _plan_page(request, session, scope, form=form, error=exc.message, status_code=exc.status_code)
    return _plan_page(request, session, scope, form=form, plan=drawn)


@router.get("/plan/{plan_id}/export.csv", dependencies=[ROLES])
def plan_csv(request: Request, plan_id: PlanId, session: SessionDep, scope: Scope = ScopeDep):
    try:
        p = plan.get_plan(session, plan_id, scope)
    except LingquError as exc:
        return error_page(request, exc)
    return Response(plan.export_csv(p), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="plan-{p.id}-{p.period}.csv"'})


@router.get("/plan/{plan_id}/export.xlsx", dependencies=[ROLES])
def plan_xlsx(request: Request, plan_id: PlanId, session: SessionDep, scope: Scope = ScopeDep):
    try:
        p = plan.get_plan(session, plan_id, scope)
    except LingquError as exc:
        return error_page(request, exc)
    return Response(plan.export_xlsx(p),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="plan-{p.id}-{p.period}.xlsx"'})
