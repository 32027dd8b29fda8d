"""The alert inbox page: open and closed alerts, with the evidence chart of the chosen one."""

from __future__ import annotations

import json

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from lingqu.alert import service
from lingqu.web.access import allow_province
from lingqu.web.deps import SessionDep
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/alerts", response_class=HTMLResponse, dependencies=[allow_province("regulator", "admin")])
def alert_inbox(request: Request, session: SessionDep, status: str = "",
                selected: int | None = Query(None, ge=1, le=2**31 - 1)) -> HTMLResponse:
    alerts = service.list_alerts(session, status or None)
    chosen = service.get_alert(session, selected) if selected else (service.get_alert(session, alerts[0]["id"]) if alerts else None)
    context = {"nav": "alerts", "alerts": alerts, "status": status, "chosen": chosen,
               "chosen_json": json.dumps(chosen, ensure_ascii=False, default=str) if chosen else "null"}
    return templates.TemplateResponse(request, "alert_inbox.html", context)
