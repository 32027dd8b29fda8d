"""JSON API of early warning (mounted under /api/v1): list, get, acknowledge, close."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from lingqu.alert import service
from lingqu.alert.schemas import CloseIn
from lingqu.auth.scope import Scope
from lingqu.web.access import ScopeDep, allow
from lingqu.web.deps import SessionDep

router = APIRouter(prefix="/alerts", tags=["alerts"])
#: Regulators and admins; a city-bound regulator sees and handles its own city's alerts only (its
#: city series and its enterprises' series); another city's alert answers 404 like a missing one.
ALERT_ROLES = allow("regulator", "admin")
#: A database id: positive and within a 32-bit INTEGER, the id type on PostgreSQL (larger values
#: answer 422, not 500).
AlertId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _actor(request: Request) -> str:
    user = getattr(request.state, "user", None)
    return getattr(user, "username", None) or "api"


@router.get("", dependencies=[ALERT_ROLES])
def get_alerts(session: SessionDep, scope: Scope = ScopeDep,
               status: str | None = Query(None, description="new, acknowledged or closed")) -> list[dict]:
    return service.list_alerts(session, status, city_code=scope.city_code)


@router.get("/{alert_id}", dependencies=[ALERT_ROLES])
def get_alert(alert_id: AlertId, session: SessionDep, scope: Scope = ScopeDep) -> dict:
    return service.get_alert(session, alert_id, scope.city_code)


@router.post("/{alert_id}/ack", dependencies=[ALERT_ROLES])
def post_ack(alert_id: AlertId, request: Request, session: SessionDep, scope: Scope = ScopeDep) -> dict:
    return service.acknowledge(session, alert_id, actor=_actor(request), city_code=scope.city_code)


@router.post("/{alert_id}/close", dependencies=[ALERT_ROLES])
def post_close(alert_id: AlertId, body: CloseIn, request: Request, session: SessionDep, scope: Scope = ScopeDep) -> dict:
    return service.close(session, alert_id, body.note, actor=_actor(request), city_code=scope.city_code)
