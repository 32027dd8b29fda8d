"""JSON API of risk grading and sampling plans (mounted under /api/v1).

Regulators and admins. A city-bound regulator sees its own city's enterprises' grades, and draws
and reads plans among its city's enterprises only; another city's enterprise or plan answers 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from lingqu.auth.scope import Scope
from lingqu.risk import plan, ranking, service
from lingqu.risk.schemas import PlanDrawIn
from lingqu.web.access import ScopeDep, allow
from lingqu.web.deps import DbId, SessionDep, actor_of

router = APIRouter(tags=["risk"])
RISK_ROLES = allow("regulator", "admin")
PlanId = DbId


@router.get("/risk/grades", dependencies=[RISK_ROLES])
def get_grades(session: SessionDep, scope: Scope = ScopeDep,
               as_of: str | None = Query(None, description="YYYY-MM-DD (default: latest stored)"),
               q: str | None = Query(None, description="enterprise name (part) or USCC (prefix)"),
               city: str | None = Query(None, description="city code (province-wide users; a city-bound regulator always gets its own)"),
               district: str | None = None,
               grade: str | None = Query(None, description="A, B, C or D, or several separated by commas (C,D)"),
               change: str | None = Query(None, description="against the previous as-of date: worse, better or new"),
               page: str | None = Query(None, description="page number, from 1"),
               page_size: str | None = Query(None, description=f"rows per page, 1 to {ranking.MAX_PAGE_SIZE} "
                                                                f"(default {ranking.DEFAULT_PAGE_SIZE})")) -> dict:
    """One page of the stored grades, highest probability first, with the trend against the previous
    as-of date; ``total`` and ``pages`` say how many match."""
    query = ranking.parse_ranking_query(as_of=as_of, q=q, district=district, grade=grade, change=change, page=page,
                                        page_size=page_size)
    return ranking.grade_ranking(session, query, city_code=ranking.ranking_city(session, scope, city))


@router.get("/risk/calibration", dependencies=[RISK_ROLES])
def get_calibration(session: SessionDep, scope: Scope = ScopeDep,
                    start: str = Query(..., alias="from", description="YYYY-MM-DD: first sampling day to check"),
                    end: str = Query(..., alias="to", description="YYYY-MM-DD: batches sampled before this day")) -> dict:
    """The stored grades against the batches sampled after them (a city-bound regulator: its city's)."""
    from lingqu.risk.calibration import stored_grade_calibration

    return stored_grade_calibration(session, service.parse_as_of(start, field="from"),
                                    service.parse_as_of(end, field="to"), city_code=scope.city_code)


@router.get("/risk/backtest", dependencies=[RISK_ROLES])
def get_backtest(session: SessionDep, scope: Scope = ScopeDep,
                 cutoff: str = Query(..., description="YYYY-MM-DD: train before it, score and evaluate the batches from it")) -> dict:
    """The back-test on the platform's own batches (a city-bound regulator: its city's)."""
    from lingqu.risk.calibration import backtest_own_history

    return backtest_own_history(session, service.parse_as_of(cutoff, field="cutoff"), city_code=scope.city_code).as_dict()


@router.get("/risk/grades/{uscc}", dependencies=[RISK_ROLES])
def get_card(uscc: str, session: SessionDep, scope: Scope = ScopeDep) -> dict:
    return service.enterprise_card(session, uscc, scope)


@router.post("/plan/draw", dependencies=[RISK_ROLES])
def post_plan(body: PlanDrawIn, request: Request, session: SessionDep, scope: Scope = ScopeDep) -> dict:
    return plan.draw(session, budget=body.budget, period=body.period, seed=body.seed, as_of=body.as_of,
                     by_district=body.by_district, floor=body.floor, actor=actor_of(request, "api"),
                     city_code=scope.city_code).as_dict()


@router.get("/plans", dependencies=[RISK_ROLES])
def get_plans(session: SessionDep, scope: Scope = ScopeDep) -> list[dict]:
    """The published plans, newest first (the last 100), without their lists."""
    return plan.list_plans(session, scope)


@router.get("/plan/{plan_id}", dependencies=[RISK_ROLES])
def get_plan(plan_id: PlanId, session: SessionDep, scope: Scope = ScopeDep) -> dict:
    return plan.stored_plan_dict(plan.get_plan(session, plan_id, scope))
