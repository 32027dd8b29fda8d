"""The alert inbox page: open and closed alerts, the evidence chart of the chosen one, and its
acknowledge / close-with-a-note actions. A city-bound regulator sees its own city's alerts only."""

from __future__ import annotations

import json

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lingqu.alert import service
from lingqu.auth.scope import Scope
from lingqu.exceptions import LingquError
from lingqu.web.access import ScopeDep, allow
from lingqu.web.choice import chosen_city
from lingqu.web.deps import DbId, SessionDep, actor_of, error_page
from lingqu.web.sessions import check_csrf
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False)
ROLES = allow("regulator", "admin")
AlertNo = Query(None, ge=1, le=2**31 - 1)
AlertId = DbId


def _inbox(request: Request, session, scope: Scope, status: str, selected: int | None, error: str | None = None,
           status_code: int = 200) -> HTMLResponse:
    # the list follows the city switcher for province-wide users; access to one alert stays by scope
    alerts = service.list_alerts(session, status or None, city_code=scope.city_code or chosen_city(request))
    chosen = None
    if selected:
        chosen = service.get_alert(session, selected, scope.city_code)
    elif alerts:
        chosen = service.get_alert(session, alerts[0]["id"], scope.city_code)
    context = {"nav": "alerts", "alerts": alerts, "status": status, "chosen": chosen, "error": error,
               "chosen_json": json.dumps(chosen, ensure_ascii=False, default=str) if chosen else "null"}
    return templates.TemplateResponse(request, "alert_inbox.html", context, status_code=status_code)


@router.get("/alerts", response_class=HTMLResponse, dependencies=[ROLES])
def alert_inbox(request: Request, session: SessionDep, scope: Scope = ScopeDep, status: str = "",
                selected: int | None = AlertNo) -> HTMLResponse:
    try:
        return _inbox(request, session, scope, status, selected)
    except LingquError as exc:
        return error_page(request, exc)


@router.post("/alerts/{alert_id}/ack", response_class=HTMLResponse, dependencies=[ROLES])
def alert_ack(request: Request, session: SessionDep, alert_id: AlertId, scope: Scope = ScopeDep,
              csrf: str = Form("", alias="csrf_token")):
    try:
        check_csrf(request, csrf)
        service.acknowledge(session, alert_id, actor=actor_of(request, "web"), city_code=scope.city_code)
    except LingquError as exc:
        return error_page(request, exc)
    return RedirectResponse(f"/alerts?selected={alert_id}", status_code=303)


@router.post("/alerts/{alert_id}/close", response_class=HTMLResponse, dependencies=[ROLES])
def alert_close(request: Request, session: SessionDep, alert_id: AlertId, scope: Scope = ScopeDep,
                note: str = Form(""), csrf: str = Form("", alias="csrf_token")):
    try:
        check_csrf(request, csrf)
        service.close(session, alert_id, note, actor=actor_of(request, "web"), city_code=scope.city_code)
    except LingquError as exc:
        if exc.status_code == 404:
            return error_page(request, exc)
        session.rollback()
        return _inbox(request, session, scope, "", alert_id, error=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"/alerts?selected={alert_id}", status_code=303)
