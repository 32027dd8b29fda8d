"""HTML pages: the risk ranking at ``/risk`` and the sampling-plan form at ``/plan``."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from lingqu.exceptions import LingquError
from lingqu.risk import plan, service
from lingqu.web.access import allow_province
from lingqu.web.deps import SessionDep, error_page
from lingqu.web.sessions import check_csrf
from lingqu.web.templating import templates

#: Not yet mounted: ``lingqu.app`` mounts a domain's ``router`` and the authorization-matrix
#: test (tests/auth, another team's file) needs a rule for every mounted route first. Rename to
#: ``router`` once RULES has: GET /risk, GET /plan, POST /plan, GET /api/v1/risk/grades and
#: POST /api/v1/plan/draw, all PROVINCE (admins and province-wide regulators).
router = APIRouter(include_in_schema=False)
ROLES = allow_province("regulator", "admin")


@router.get("/risk", response_class=HTMLResponse, dependencies=[ROLES])
def risk_ranking(request: Request, session: SessionDep, as_of: str | None = None) -> HTMLResponse:
    try:
        data = service.stored_grades(session, service.parse_as_of(as_of) if as_of else None)
    except LingquError as exc:
        return error_page(request, exc)
    return templates.TemplateResponse(request, "risk_grades.html", {"nav": "risk", "g": data})


@router.get("/plan", response_class=HTMLResponse, dependencies=[ROLES])
def plan_form(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "plan_draw.html", {"nav": "plan", "form": {}, "plan": None, "error": None})


@router.post("/plan", response_class=HTMLResponse, dependencies=[ROLES])
def plan_draw(request: Request, session: SessionDep, budget: str = Form(""), period: str = Form(""),
              seed: str = Form(""), by_district: str = Form(""), csrf: str = Form("", alias="csrf_token")) -> HTMLResponse:
    form = {"budget": budget, "period": period, "seed": seed, "by_district": bool(by_district)}
    ctx = {"nav": "plan", "form": form, "plan": None, "error": None}
    try:
        check_csrf(request, csrf)
        if not budget.strip().isdigit() or not seed.strip().isdigit():
            raise LingquError("预算和随机种子须为整数 (budget and seed must be whole numbers)", field="budget")
        user = getattr(request.state, "user", None)
        ctx["plan"] = plan.draw(session, budget=int(budget), period=period, seed=int(seed), by_district=bool(by_district),
                                actor=getattr(user, "username", None) or "web").as_dict()
    except LingquError as exc:
        ctx["error"] = exc.message
        return templates.TemplateResponse(request, "plan_draw.html", ctx, status_code=exc.status_code)
    return templates.TemplateResponse(request, "plan_draw.html", ctx)
