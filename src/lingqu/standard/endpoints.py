"""JSON API of the standards knowledge base (mounted under /api/v1): search, one edition with its
facts and sources, the edition in force on a date, and the change alerts (list, acknowledge, close).

Route order matters: standard numbers contain ``/`` (GB/T ...), so the detail routes take the rest
of the path and come after every fixed route (``/standards/search`` first of all, so that "search"
is never read as a standard number). Standards are public knowledge: every logged-in role may
search and read them.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Request

from lingqu.auth.scope import Scope
from lingqu.standard import catalog, changes, service
from lingqu.standard.schemas import CloseIn
from lingqu.web.access import ScopeDep, allow
from lingqu.web.deps import DbId, SessionDep, actor_of

router = APIRouter(prefix="/standards", tags=["standards"])
EVERYONE = allow("regulator", "enterprise", "institution", "admin")
#: change alerts concern enterprises: an enterprise sees its own, a regulator its city's
ALERT_READERS = allow("regulator", "enterprise", "admin")
ALERT_CLOSERS = allow("regulator", "admin")
ChangeId = DbId


@router.get("/search", dependencies=[EVERYONE])
def search(
    session: SessionDep,
    q: str = Query("", description="Chinese or English words, or a standard number in any spelling (GB 9706.1-2020, gb9706.1, 9706.1, ISO 13485)"),
    status: str = Query("", description="only this status: current, upcoming, superseded or withdrawn"),
    kind: str = Query("", description="only this kind, e.g. GB, GB/T, YY/T, ISO, regulation"),
    domain: str = Query("", description="only this domain, e.g. power_bank or medical_device"),
    limit: int = Query(10, ge=1, le=service.MAX_LIMIT),
    offset: int = Query(0, ge=0, le=10_000, description="skip this many hits (paging); at most 10,000"),
) -> dict:
    """Best first: exact number matches first, current editions above superseded ones.

    ``results`` has the shape of ``lingqu standards search --json``; ``total`` counts every match.
    """
    hits = service.search_standards(session, q, limit=limit, offset=offset, status=status, kind=kind, domain=domain)
    return {"results": [service.hit_dict(h) for h in hits], "total": hits.total, "limit": limit, "offset": offset}


@router.get("/changes", dependencies=[ALERT_READERS])
def get_changes(session: SessionDep, scope: Scope = ScopeDep,
                status: str | None = Query(None, description="new, acknowledged or closed"),
                code: str | None = Query(None, description="only alerts about this edition")) -> dict:
    """Stored change alerts in the caller's scope, and the same grouped by edition with counts."""
    alerts = changes.list_alerts(session, scope, status, code)
    groups = [{k: v for k, v in g.items() if k != "alerts"} for g in changes.summary(alerts)]
    return {"total": len(alerts), "by_standard": groups, "alerts": alerts}


@router.post("/changes/{change_id}/ack", dependencies=[ALERT_READERS])
def post_ack(change_id: ChangeId, request: Request, session: SessionDep, scope: Scope = ScopeDep) -> dict:
    return changes.acknowledge(session, change_id, scope, actor=actor_of(request, "api"))


@router.post("/changes/{change_id}/close", dependencies=[ALERT_CLOSERS])
def post_close(change_id: ChangeId, body: CloseIn, request: Request, session: SessionDep, scope: Scope = ScopeDep) -> dict:
    return changes.close(session, change_id, body.note, scope, actor=actor_of(request, "api"))


@router.get("/applicable/{uscc}", dependencies=[ALERT_READERS])
def get_applicable(uscc: str, session: SessionDep, scope: Scope = ScopeDep) -> dict:
    """Editions in force or upcoming that apply to the enterprise's products (another tenant: 404)."""
    return catalog.applicable(session, uscc, scope)


@router.get("/{code:path}/edition", dependencies=[EVERYONE])
def get_edition(code: str, session: SessionDep, on: dt.date | None = Query(None, description="YYYY-MM-DD, default today")) -> dict:
    """The edition of ``code`` in force on ``on``, with the replacement chain."""
    from lingqu.standard.service import edition_on

    return edition_on(session, code, on or dt.date.today())


@router.get("/{code:path}", dependencies=[EVERYONE])
def get_standard(code: str, session: SessionDep, scope: Scope = ScopeDep,
                 on: dt.date | None = Query(None, description="date for the edition in force, default today")) -> dict:
    """Every fact of one edition with its sources, applicability, chain; ``affected`` for regulators and admins."""
    return catalog.detail(session, code, scope, on)
