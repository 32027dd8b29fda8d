"""JSON API of the standards knowledge base (mounted under /api/v1).

``GET /standards/search`` is declared before any ``/standards/{code}`` route so that "search" is
never read as a standard number. Standards are public knowledge: every logged-in role may search.
"""

from __future__ import annotations

from fastapi import APIRouter, Query

from lingqu.standard import service
from lingqu.web.access import allow
from lingqu.web.deps import SessionDep

router = APIRouter(prefix="/standards", tags=["standards"])
EVERY_ROLE = allow("regulator", "enterprise", "institution", "admin")


@router.get("/search", dependencies=[EVERY_ROLE])
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
