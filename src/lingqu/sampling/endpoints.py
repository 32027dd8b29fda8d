"""JSON API for sampling results: a city's overview and an enterprise's batches."""

from __future__ import annotations

from fastapi import APIRouter, Query

from lingqu.sampling import batches, passrate, service
from lingqu.sampling.schemas import BatchPage, EnterpriseBatches, Overview, PassRateReport
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


@router.get("/batches", response_model=BatchPage, dependencies=[allow("regulator", "admin")])
def list_batches(
    session: SessionDep,
    scope: Scope = ScopeDep,
    city: str | None = Query(None, description="城市代码 (a city-bound regulator: its own city)"),
    district: str | None = Query(None, description="区县 (exact)"),
    year: str | None = Query(None, description="calendar year of sampling"),
    quarter: str | None = Query(None, description="1–4, with year"),
    test_item: str | None = Query(None, description="batches tested on this item"),
    passed: str | None = Query(None, description="1 / 0: passed / failed (the item's verdict when test_item is given)"),
    uscc: str | None = Query(None, description="one enterprise's batches"),
    page: str | None = Query(None, description="page number, ≥ 1"),
    page_size: str | None = Query(None, description="rows per page, 1–200 (default 50)"),
) -> BatchPage:
    """Sampled batches, newest first, with the items each failed: the records behind the dashboard."""
    query = batches.parse_query(session, city=city, district=district, year=year, quarter=quarter, test_item=test_item,
                                passed=passed, uscc=uscc, page=page, page_size=page_size)
    return batches.list_batches(session, query, scope)
