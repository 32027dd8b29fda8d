"""JSON API of the dashboard: the same figures the page draws."""

from __future__ import annotations

from fastapi import APIRouter, Query

from lingqu.auth.scope import Scope
from lingqu.dashboard import service
from lingqu.dashboard.schemas import Dashboard
from lingqu.web.access import ScopeDep, allow
from lingqu.web.deps import SessionDep

router = APIRouter(tags=["dashboard"])


@router.get("/dashboard", response_model=Dashboard, dependencies=[allow("regulator", "admin")])
def get_dashboard(
    session: SessionDep,
    scope: Scope = ScopeDep,
    city: str | None = Query(None, description="城市代码; empty: the whole province (a city-bound regulator: its city)"),
) -> Dashboard:
    """KPIs against targets, quarterly pass-rate trend with Wilson 95 % intervals, failing-item
    Pareto, pass rate by district and the latest risk-grade distribution."""
    return service.dashboard(session, city, scope)
