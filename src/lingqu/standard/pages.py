"""Pages of the standards knowledge base: search, the list, one edition, and the change alerts.

Standard numbers contain ``/`` (GB/T ...), so ``/standards/{code}`` takes the rest of the path and
must stay the last route of this router; ``/standards/search`` comes first so that "search" is
never read as a standard number. Standards are public knowledge: every logged-in role may read them.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from lingqu.auth.scope import Scope
from lingqu.exceptions import LingquError, ValidationError
from lingqu.standard import catalog, changes, service
from lingqu.web.access import ScopeDep, allow
from lingqu.web.deps import SessionDep, actor_of, error_page
from lingqu.web.sessions import check_csrf
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False)
EVERYONE = allow("regulator", "enterprise", "institution", "admin")
ALERT_READERS = allow("regulator", "enterprise", "admin")
ALERT_CLOSERS = allow("regulator", "admin")
PER_PAGE = 20
MAX_PAGE = 500  # 10,000 results: deeper than anyone pages through a standards list


def _url(params: dict, page: int) -> str:
    p = {k: v for k, v in params.items() if v}
    if page > 1:
        p["page"] = page
    return "/standards/search" + (f"?{urlencode(p)}" if p else "")


def _page_number(page: str | None) -> int:
    try:
        n = int(page) if page not in (None, "") else 1
    except ValueError:
        raise ValidationError(f"页码必须是正整数 (page must be a positive whole number), got {page!r}", field="page") from None
    if not 1 <= n <= MAX_PAGE:
        raise ValidationError(f"页码必须在 1 到 {MAX_PAGE} 之间 (page must be between 1 and {MAX_PAGE})", field="page")
    return n


@router.get("/standards/search", response_class=HTMLResponse, dependencies=[EVERYONE])
def standards_search(request: Request, session: SessionDep, q: str = "", status: str = "", kind: str = "", domain: str = "",
                     page: str | None = None) -> HTMLResponse:
    params = {"q": q, "status": status, "kind": kind, "domain": domain}
    try:
        n = _page_number(page)
        result = service.search_page(session, q, status=status, kind=kind, domain=domain, page=n, per_page=PER_PAGE) if q.strip() else None
    except LingquError as exc:
        return error_page(request, exc)
    context = {
        "nav": "standards", "params": params, "result": result, "choices": service.filter_choices(session),
        "prev_url": _url(params, result["page"] - 1) if result and result["page"] > 1 else None,
        "next_url": _url(params, result["page"] + 1) if result and result["page"] < result["pages"] else None,
        "examples": ["GB 9706.1-2020", "gb9706.1", "ISO 13485", "移动电源", "电池", "医用电气设备 电磁兼容", "risk management"],
    }
    return templates.TemplateResponse(request, "standards_search.html", context)



@router.get("/standards", response_class=HTMLResponse, dependencies=[EVERYONE])
def standard_list(request: Request, session: SessionDep, q: str = "", kind: str = "", status: str = "",
                  category: str = "", domain: str = "") -> HTMLResponse:
    try:
        rows = catalog.list_standards(session, q=q, kind=kind, status=status, category=category, domain=domain)
    except LingquError as exc:
        return error_page(request, exc)
    return templates.TemplateResponse(request, "standard_list.html", {
        "nav": "standards", "rows": rows, "choices": catalog.filter_choices(session), "status_labels": catalog.STATUS_LABELS,
        "f": {"q": q, "kind": kind, "status": status, "category": category, "domain": domain},
    })


#: alert rows listed on the page below the summary (the summary always counts all of them)
PAGE_ROWS = 300


def _changes_page(request: Request, session, scope: Scope, status: str = "", message: str = "", code: str = "",
                  status_code: int = 200) -> HTMLResponse:
    alerts = changes.list_alerts(session, scope, status or None)
    groups = changes.summary(alerts)
    shown = [a for a in alerts if a["code"] == code] if code else alerts
    mine = catalog.applicable(session, scope.uscc, scope) if scope.uscc else None
    return templates.TemplateResponse(request, "standard_changes.html", {
        "nav": "standards", "alerts": shown[:PAGE_ROWS], "total": len(shown), "groups": groups, "status": status, "code": code, "mine": mine,
        "is_enterprise": scope.uscc is not None, "message": message, "change_labels": changes.CHANGE_LABELS,
    }, status_code=status_code)


@router.get("/standards/changes", response_class=HTMLResponse, dependencies=[ALERT_READERS])
def change_alerts(request: Request, session: SessionDep, scope: Scope = ScopeDep, status: str = "",
                  code: str = "") -> HTMLResponse:
    try:
        return _changes_page(request, session, scope, status, code=code)
    except LingquError as exc:
        return error_page(request, exc)


@router.post("/standards/changes/{change_id}/ack", response_class=HTMLResponse, dependencies=[ALERT_READERS])
def change_ack(request: Request, change_id: str, session: SessionDep, scope: Scope = ScopeDep,
               csrf: str = Form("", alias="csrf_token")) -> HTMLResponse:
    check_csrf(request, csrf)
    try:
        a = changes.acknowledge(session, change_id, scope, actor=actor_of(request, "web"))
        return _changes_page(request, session, scope, message=f"已确认预警 #{a['id']}（{a['code']}）")
    except LingquError as exc:
        return error_page(request, exc)


@router.post("/standards/changes/{change_id}/close", response_class=HTMLResponse, dependencies=[ALERT_CLOSERS])
def change_close(request: Request, change_id: str, session: SessionDep, scope: Scope = ScopeDep,
                 note: str = Form(""), csrf: str = Form("", alias="csrf_token")) -> HTMLResponse:
    check_csrf(request, csrf)
    try:
        a = changes.close(session, change_id, note, scope, actor=actor_of(request, "web"))
        return _changes_page(request, session, scope, message=f"已关闭预警 #{a['id']}（{a['code']}）")
    except LingquError as exc:
        return error_page(request, exc)


@router.get("/standards/{code:path}", response_class=HTMLResponse, dependencies=[EVERYONE])
def standard_detail(request: Request, code: str, session: SessionDep, scope: Scope = ScopeDep, on: str = "") -> HTMLResponse:
    """Keep last: the code takes the rest of the path."""
    try:
        try:
            day = dt.date.fromisoformat(on) if on else None
        except ValueError:
            raise ValidationError(f"日期格式应为 YYYY-MM-DD (on must be a date, got {on!r})", field="on") from None
        d = catalog.detail(session, code, scope, day)
    except LingquError as exc:
        return error_page(request, exc)
    return templates.TemplateResponse(request, "standard_detail.html", {
        "nav": "standards", "d": d, "timeline_json": json.dumps(d["timeline"], ensure_ascii=False),
    })
