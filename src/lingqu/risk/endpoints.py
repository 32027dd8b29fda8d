"""JSON API of risk grading and sampling plans (mounted under /api/v1).

Grades and plans span cities: admins and province-wide regulators only (as for alerts).
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from lingqu.risk import plan, service
from lingqu.risk.schemas import PlanDrawIn
from lingqu.web.access import allow_province
from lingqu.web.deps import SessionDep

#: Not yet mounted: ``lingqu.app`` mounts a domain's ``router`` and the authorization-matrix
#: test (tests/auth, another team's file) needs a rule for every mounted route first. Rename to
#: ``router`` once RULES has: GET /risk, GET /plan, POST /plan, GET /api/v1/risk/grades and
#: POST /api/v1/plan/draw, all PROVINCE (admins and province-wide regulators).
router = APIRouter(tags=["risk"])
RISK_ROLES = allow_province("regulator", "admin")


def _actor(request: Request) -> str:
    user = getattr(request.state, "user", None)
    return getattr(user, "username", None) or "api"


@router.get("/risk/grades", dependencies=[RISK_ROLES])
def get_grades(session: SessionDep, as_of: str | None = Query(None, description="YYYY-MM-DD (default: latest stored)")) -> dict:
    return service.stored_grades(session, service.parse_as_of(as_of) if as_of else None)


@router.post("/plan/draw", dependencies=[RISK_ROLES])
def post_plan(body: PlanDrawIn, request: Request, session: SessionDep) -> dict:
    return plan.draw(session, budget=body.budget, period=body.period, seed=body.seed, as_of=body.as_of,
                     by_district=body.by_district, floor=body.floor, actor=_actor(request)).as_dict()
