"""JSON API of early warning (mounted under /api/v1): list, get, acknowledge, close."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from lingqu.alert import service
from lingqu.alert.schemas import CloseIn
from lingqu.auth.scope import Scope
from lingqu.kit.paging import int_param
from lingqu.web.access import ScopeDep, allow
from lingqu.web.deps import DbId, SessionDep, actor_of

router = APIRouter(prefix="/alerts", tags=["alerts"])
#: Regulators and admins; a city-bound regulator sees and handles its own city's alerts only (its
#: city series and its enterprises' series); another city's alert answers 404 like a missing one.
ALERT_ROLES = allow("regulator", "admin")
#: A database id: positive and within a 32-bit INTEGER, the id type on PostgreSQL (larger values
#: answer 422, not 500).
AlertId = DbId


#: The list's page size: the list answers at most this many alerts, newest first
MAX_PAGE_SIZE = 500


@router.get("", dependencies=[ALERT_ROLES])
def get_alerts(response: Response, session: SessionDep, who: Scope = ScopeDep,
               status: str | None = Query(None, description="new, acknowledged or closed"),
               kind: str | None = Query(None, description="cusum, ewma or complaint_surge"),
               scope: str | None = Query(None, description="enterprise, test_item or city"),
               page: str | None = Query(None, description="page number, from 1"),
               page_size: str | None = Query(None, description=f"1 to {MAX_PAGE_SIZE} (default {MAX_PAGE_SIZE})")) -> list[dict]:
    """Alerts newest first, one page; the ``X-Total-Count`` header says how many match in all."""
    out = service.alert_page(session, status=status, kind=kind, scope=scope, page=int_param(page, "page", 1, 1),
                             page_size=int_param(page_size, "page_size", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE),
                             city_code=who.city_code)
    response.headers["X-Total-Count"] = str(out["total"])
    return out["items"]


@router.get("/{alert_id}", dependencies=[ALERT_ROLES])
def get_alert(alert_id: AlertId, session: SessionDep, scope: Scope = ScopeDep) -> dict:
    return service.get_alert(session, alert_id, scope.city_code)


@router.post("/{alert_id}/ack", dependencies=[ALERT_ROLES])
def post_ack(alert_id: AlertId, request: Request, session: SessionDep, scope: Scope = ScopeDep) -> dict:
    return service.acknowledge(session, alert_id, actor=actor_of(request, "api"), city_code=scope.city_code)


@router.post("/{alert_id}/close", dependencies=[ALERT_ROLES])
def post_close(alert_id: AlertId, body: CloseIn, request: Request, session: SessionDep, scope: Scope = ScopeDep) -> dict:
    return service.close(session, alert_id, body.note, actor=actor_of(request, "api"), city_code=scope.city_code)
