"""The alert inbox page: open and closed alerts, the evidence chart of the chosen one, and its
acknowledge / close-with-a-note actions. A city-bound regulator sees its own city's alerts only."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lingqu.alert import service
from lingqu.auth.scope import Scope
from lingqu.exceptions import LingquError
from lingqu.kit.paging import int_param
from lingqu.web.access import ScopeDep, allow
from lingqu.web.choice import chosen_city
from lingqu.web.deps import DbId, SessionDep, actor_of, error_page
from lingqu.web.sessions import check_csrf
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False)
ROLES = allow("regulator", "admin")
AlertNo = Query(None, ge=1, le=2**31 - 1)
AlertId = DbId


PAGE_SIZE = 50


def _filters(status: str = "", kind: str = "", scope: str = "", page: int | str | None = None) -> dict:
    """The inbox's list filters as URL parameters (empty ones left out): links and the redirects
    after acknowledging or closing keep the list the user was working through."""
    out = {"status": status, "kind": kind, "scope": scope, "page": "" if str(page or "1") == "1" else str(page)}
    return {k: v for k, v in out.items() if v}


def _inbox(request: Request, session, scope: Scope, filters: dict, selected: int | None, error: str | None = None,
           status_code: int = 200) -> HTMLResponse:
    # the list follows the city switcher for province-wide users; access to one alert stays by scope
    listed = service.alert_page(session, status=filters.get("status") or None, kind=filters.get("kind") or None,
                                scope=filters.get("scope") or None,
                                page=int_param(filters.get("page"), "page", 1, 1), page_size=PAGE_SIZE,
                                city_code=scope.city_code or chosen_city(request))
    alerts = listed["items"]
    chosen = None
    if selected:
        chosen = service.get_alert(session, selected, scope.city_code)
    elif alerts:
        chosen = service.get_alert(session, alerts[0]["id"], scope.city_code)

    def url(**extra) -> str:
        return "/alerts?" + urlencode({k: v for k, v in {**filters, **extra}.items() if v not in (None, "")})

    context = {"nav": "alerts", "alerts": alerts, "listed": listed, "filters": filters,
               "chosen": chosen, "error": error, "url": url,
               "prev_url": url(page=listed["page"] - 1) if listed["page"] > 1 else None,
               "next_url": url(page=listed["page"] + 1) if listed["page"] < listed["pages"] else None,
               "chosen_json": json.dumps(chosen, ensure_ascii=False, default=str) if chosen else "null"}
    return templates.TemplateResponse(request, "alert_inbox.html", context, status_code=status_code)


@router.get("/alerts", response_class=HTMLResponse, dependencies=[ROLES])
def alert_inbox(request: Request, session: SessionDep, scope: Scope = ScopeDep, status: str = "", kind: str = "",
                scope_kind: str = Query("", alias="scope"), page: str | None = None,
                selected: int | None = AlertNo) -> HTMLResponse:
    try:
        return _inbox(request, session, scope, _filters(status, kind, scope_kind, page), selected)
    except LingquError as exc:
        return error_page(request, exc)


def _back(alert_id: int, status: str, kind: str, scope_kind: str, page: str) -> RedirectResponse:
    filters = _filters(status, kind, scope_kind, page)
    return RedirectResponse("/alerts?" + urlencode({**filters, "selected": alert_id}), status_code=303)


#: the list the user was in, sent back by the action forms
ListStatus, ListKind, ListScope, ListPage = Form(""), Form(""), Form("", alias="list_scope"), Form("")


@router.post("/alerts/{alert_id}/ack", response_class=HTMLResponse, dependencies=[ROLES])
def alert_ack(request: Request, session: SessionDep, alert_id: AlertId, scope: Scope = ScopeDep,
              csrf: str = Form("", alias="csrf_token"), status: str = ListStatus, kind: str = ListKind,
              scope_kind: str = ListScope, page: str = ListPage):
    try:
        check_csrf(request, csrf)
        service.acknowledge(session, alert_id, actor=actor_of(request, "web"), city_code=scope.city_code)
    except LingquError as exc:
        return error_page(request, exc)
    return _back(alert_id, status, kind, scope_kind, page)


@router.post("/alerts/{alert_id}/close", response_class=HTMLResponse, dependencies=[ROLES])
def alert_close(request: Request, session: SessionDep, alert_id: AlertId, scope: Scope = ScopeDep,
                note: str = Form(""), csrf: str = Form("", alias="csrf_token"), status: str = ListStatus,
                kind: str = ListKind, scope_kind: str = ListScope, page: str = ListPage):
    try:
        check_csrf(request, csrf)
        service.close(session, alert_id, note, actor=actor_of(request, "web"), city_code=scope.city_code)
    except LingquError as exc:
        if exc.status_code == 404:
            return error_page(request, exc)
        session.rollback()
        return _inbox(request, session, scope, _filters(status, kind, scope_kind, page), alert_id, error=exc.message,
                      status_code=exc.status_code)
    return _back(alert_id, status, kind, scope_kind, page)
