"""The regulator's dashboard: KPIs against the programme's targets (DESIGN §1), the quarterly
trend with Wilson 95 % intervals, the failing-item Pareto, pass rates by district and the grade
distribution -- all within the user's scope and the chosen city.

Targets without data in the platform yet (known brands, first-pass yield, quality cost) are
reported as "数据待接入" (no data yet), never as a number.
"""

from __future__ import annotations

import threading
import time
import warnings
from urllib.parse import urlencode

import numpy as np
from sqlalchemy.orm import Session

from lingqu.auth.scope import Forbidden, Scope
from lingqu.dashboard import repository
from lingqu.dashboard.schemas import Dashboard, DistrictRow, GradeRow, Kpi, ParetoRow, TrendPoint
from lingqu.enterprise import service as enterprise_service
from lingqu.sampling.schemas import TARGET_PASS_RATE
from lingqu.stats.proportion import ProportionWarning, wilson_intervals

CONFIDENCE = 0.95
GRADE_LABELS = {"A": "A 低风险", "B": "B 一般风险", "C": "C 较高风险", "D": "D 高风险"}
NO_DATA = "数据待接入"


def _status(lower: float | None, upper: float | None, target: float) -> str:
    if lower is not None and lower > target:
        return "meets_target"
    if upper is not None and upper < target:
        return "below_target"
    return "undetermined"


def _rates(passed: list[int], failed: list[int]) -> list[tuple[float | None, float | None, float | None]]:
    """(rate, lower, upper) for each group in one vectorised Wilson call; None where n = 0."""
    if not passed:
        return []
    p = np.asarray(passed, dtype=np.int64)
    n = p + np.asarray(failed, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProportionWarning)
        ci = wilson_intervals(p, n, CONFIDENCE)
    out = []
    for i in range(len(p)):
        if n[i] == 0:
            out.append((None, None, None))
        else:
            out.append((float(p[i] / n[i]), float(ci.lower[i]), float(ci.upper[i])))
    return out


def _url(path: str, **params) -> str:
    params = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(params) if params else "")


def scoped_city(session: Session, city: str | None, scope: Scope) -> str | None:
    """The city the dashboard shows: the asked one (checked against the scope), a city-bound
    regulator's own city, or None (the whole province)."""
    if scope.no_enterprise_data or scope.uscc:
        raise Forbidden("您的角色无权查看辖区看板 (your role may not see the jurisdiction dashboard)")
    code = (city or "").strip() or None
    if code:
        enterprise_service.check_city(session, code)
        scope.check_city(code)
        return code
    return scope.city_code


#: Computed dashboards by (database, city, data version). The figures are pure functions of the
#: data, so an entry is valid until the data changes (``repository.data_version``); the TTL only
#: bounds how long a change made outside the audited paths (a hand edit in SQL) can go unseen.
CACHE_SECONDS = 300.0
_CACHE_MAX = 64
_cache: dict[tuple, tuple[float, Dashboard]] = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def dashboard(session: Session, city: str | None, scope: Scope, *, use_cache: bool = True) -> Dashboard:
    """The dashboard of ``city`` (None: the province) within ``scope``; served from the cache
    while the data has not changed."""
    code = scoped_city(session, city, scope)
    key = (str(session.get_bind().url), code, repository.data_version(session))
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key) if use_cache else None
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        data = hit[1]
    else:
        data = _compute(session, code)
        with _cache_lock:
            if len(_cache) >= _CACHE_MAX:
                _cache.pop(next(iter(_cache)))
            _cache[key] = (now, data)
    return data.model_copy(update={"cities": [c for c in data.cities if scope.allows_city(c.code)]})


def _compute(session: Session, code: str | None) -> Dashboard:
    cities = enterprise_service.cities(session)
    names = {c.code: c.name for c in cities}
    groups = repository.batch_groups(session, code)
    target = TARGET_PASS_RATE

    # Quarterly trend: sums of the (city, district, year, quarter) groups.
    by_quarter: dict[tuple[int, int], list[int]] = {}
    by_district: dict[tuple[str, str], list[int]] = {}
    by_year: dict[int, list[int]] = {}
    for g in groups:
        for bucket, key in ((by_quarter, (g.year, g.quarter)), (by_district, (g.city_code, g.district)), (by_year, (g.year,))):
            t = bucket.setdefault(key, [0, 0, 0])
            t[0] += g.passed
            t[1] += g.failed
            t[2] += g.pending
    quarters = sorted(by_quarter)
    q_rates = _rates([by_quarter[k][0] for k in quarters], [by_quarter[k][1] for k in quarters])
    trend = []
    for (y, q), (rate, lo, hi) in zip(quarters, q_rates):
        p, f, n = by_quarter[(y, q)]
        trend.append(TrendPoint(year=y, quarter=q, period=f"{y}Q{q}", label=f"{y}年第{q}季度", passed=p, failed=f,
                                pending=n, pass_rate=rate, lower=lo, upper=hi, status=_status(lo, hi, target)))

    districts_keys = sorted(by_district, key=lambda k: (-(by_district[k][0] + by_district[k][1]), k))
    d_rates = _rates([by_district[k][0] for k in districts_keys], [by_district[k][1] for k in districts_keys])
    districts = []
    for (c, d), (rate, lo, hi) in zip(districts_keys, d_rates):
        p, f, n = by_district[(c, d)]
        city_name = names.get(c, c)
        districts.append(DistrictRow(city_code=c, city_name=city_name, district=d,
                                     label=(d or "（未填）") if code else f"{city_name}{d or '（未填）'}",
                                     passed=p, failed=f, pending=n, pass_rate=rate, lower=lo, upper=hi,
                                     status=_status(lo, hi, target)))

    # The pass-rate KPI is the latest year with verdicts.
    years = sorted(y for y, (p, f, _) in ((k[0], v) for k, v in by_year.items()) if p + f > 0)
    kpi_year = years[-1] if years else None
    kpis = []
    if kpi_year is not None:
        p, f, _ = by_year[(kpi_year,)]
        (rate, lo, hi), = _rates([p], [f])
        kpis.append(Kpi(key="pass_rate", label="抽检合格率", value=rate, unit="%", target=target,
                        target_text=f"≥ {target * 100:.0f}%", lower=lo, upper=hi, n=p + f, status=_status(lo, hi, target),
                        note=f"{kpi_year}年，Wilson 95% 置信区间",
                        drill=_url("/batches", city=code, year=kpi_year, passed=0)))
    else:
        kpis.append(Kpi(key="pass_rate", label="抽检合格率", unit="%", target=target, target_text=f"≥ {target * 100:.0f}%",
                        status="no_data", note="暂无抽检结论"))
    kpis += [
        Kpi(key="known_brands", label="知名品牌", unit="个", target=10, target_text="≥ 10 个", status="no_data", note=NO_DATA),
        Kpi(key="first_pass_yield", label="产品直通率提升", unit="个百分点", target=1.5, target_text="+1.5 个百分点",
            status="no_data", note=NO_DATA),
        Kpi(key="quality_cost", label="质量成本降低", unit="万元", target=3000, target_text="−3000 万元",
            status="no_data", note=NO_DATA),
    ]

    failures = repository.failures_by_item(session, code)
    total_failures = sum(k for _, k in failures)
    pareto, running = [], 0
    for item, k in failures:
        running += k
        pareto.append(ParetoRow(test_item=item, failures=k, share=k / total_failures, cumulative=running / total_failures))

    grade_rows, as_of = repository.grade_counts(session, code)
    graded = sum(k for _, k in grade_rows)
    grades = [GradeRow(grade=g, label=GRADE_LABELS.get(g, g), enterprises=k, share=k / graded) for g, k in grade_rows]

    return Dashboard(
        city=next((c for c in cities if c.code == code), None),
        cities=cities, target_pass_rate=target,
        enterprises=repository.enterprise_count(session, code), kpi_year=kpi_year, kpis=kpis, trend=trend,
        pareto=pareto, districts=districts, grades=grades, grades_as_of=as_of,
    )
