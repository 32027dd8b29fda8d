"""JSON API of early warning (mounted under /api/v1): list, get, acknowledge, close."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from lingqu.alert import service
from lingqu.alert.schemas import CloseIn
from lingqu.web.access import allow_province
from lingqu.web.deps import SessionDep

router = APIRouter(prefix="/alerts", tags=["alerts"])
#: Alerts span enterprises, items and cities and are not yet split by city: admins and
#: province-wide regulators only (a city-bound regulator gets 403 until city filtering lands).
ALERT_ROLES = allow_province("regulator", "admin")


def _actor(request: Request) -> str:
    user = getattr(request.state, "user", None)
    return getattr(user, "username", None) or "api"


@router.get("", dependencies=[ALERT_ROLES])
def get_alerts(session: SessionDep, status: str | None = Query(None, description="new, acknowledged or closed")) -> list[dict]:
    return service.list_alerts(session, status)


@router.get("/{alert_id}", dependencies=[ALERT_ROLES])
def get_alert(alert_id: int, session: SessionDep) -> dict:
    return service.get_alert(session, alert_id)


@router.post("/{alert_id}/ack", dependencies=[ALERT_ROLES])
def post_ack(alert_id: int, request: Request, session: SessionDep) -> dict:
    return service.acknowledge(session, alert_id, actor=_actor(request))


@router.post("/{alert_id}/close", dependencies=[ALERT_ROLES])
def post_close(alert_id: int, body: CloseIn, request: Request, session: SessionDep) -> dict:
    return service.close(session, alert_id, body.note, actor=_actor(request))
