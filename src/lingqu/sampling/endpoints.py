"""JSON API for sampling results: a city's overview and an enterprise's batches."""

from __future__ import annotations

from fastapi import APIRouter, Query

from lingqu.sampling import passrate, service
from lingqu.sampling.schemas import EnterpriseBatches, Overview, PassRateReport
from lingqu.auth.scope import Scope
from lingqu.web.access import ScopeDep, allow
from lingqu.web.deps import SessionDep

router = APIRouter(tags=["sampling"])


@router.get("/overview", response_model=Overview, dependencies=[allow("regulator", "admin")])
def get_overview(
    session: SessionDep,
    scope: Scope = ScopeDep,
    city: str | None = Query(None, description="城市代码 (default: the regulator's city, else 440300 深圳市)"),
) -> Overview:
    return service.overview(session, city, scope)


@router.get("/enterprises/{uscc}/batches", response_model=EnterpriseBatches,
            dependencies=[allow("regulator", "enterprise", "admin")])
def get_enterprise_batches(uscc: str, session: SessionDep, scope: Scope = ScopeDep) -> EnterpriseBatches:
    return service.history(session, uscc, scope)




@router.get("/stats/pass-rate", response_model=PassRateReport, dependencies=[allow("regulator", "admin")])
def get_pass_rate(
    session: SessionDep,
    scope: Scope = ScopeDep,
    by: str = Query(passrate.DEFAULT_BY, description="city, district, enterprise, brand, channel, product, cluster, test_item, year, quarter"),
    period: str | None = Query(None, description="a year 2024, a quarter 2024Q3 or a range 2023..2024; empty = all time"),
    city: str | None = Query(None, description="city code or name (440300, 深圳)"),
    cluster: str | None = Query(None, description="power_bank, medical_device, other"),
    trend: str | None = Query(None, description="quarter or year: a per-period series for each slice"),
    limit: str | None = Query(None, description="at most this many rows"),
) -> PassRateReport:
    """合格率: batches (or, by test item, tests), failures, pass rate with a Wilson 95 % interval and the
    distance to the 90 % target, per slice."""
    query = passrate.parse_query(by=by, period=period, city=city, cluster=cluster, trend=trend, limit=limit)
    return passrate.pass_rate(session, passrate.scoped(query, scope))
