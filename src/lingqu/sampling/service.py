"""Sampling results as the regulator reads them: a city's overview and an enterprise's history.

Pass rate (合格率) = passed batches / batches with a verdict; a batch passes only if every
item passed. It is compared with the target :data:`~lingqu.sampling.schemas.TARGET_PASS_RATE`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lingqu.auth.scope import Forbidden, Scope
from lingqu.enterprise import repository as enterprise_repository
from lingqu.enterprise import service as enterprise_service
from lingqu.enterprise.schemas import City, cluster_label
from lingqu.sampling import repository
from lingqu.sampling.schemas import (
    DEFAULT_CITY,
    TARGET_PASS_RATE,
    BatchOut,
    ClusterCount,
    EnterpriseBatches,
    FailingItem,
    Overview,
    PeriodStats,
    channel_label,
)

TOP_FAILING_ITEMS = 10


def _period(year: int | None, batches: int, passed: int, failed: int) -> PeriodStats:
    rate = enterprise_service.pass_rate(passed, failed)
    return PeriodStats(
        year=year, batches=batches, passed_batches=passed, failed_batches=failed, pass_rate=rate,
        meets_target=None if rate is None else rate >= TARGET_PASS_RATE,
    )


def overview(session: Session, city_code: str | None = None, scope: Scope | None = None, *,
             province: bool = False) -> Overview:
    """A city's enterprises by cluster, batches and pass rate per year, and the items failing most.

    A city-bound regulator sees its own city by default and may not ask for another. Without a city,
    ``province=True`` (the pages' 全省 view) gives the whole province (``city.code`` empty); otherwise
    the default city."""
    scope = scope or Scope()
    if scope.no_enterprise_data:
        raise Forbidden("您的角色无权查看辖区总览 (your role may not see the jurisdiction overview)")
    wanted = (city_code or "").strip() or scope.city_code
    if wanted or not province:
        wanted = wanted or DEFAULT_CITY
        scope.check_city(wanted)
        city = enterprise_service.check_city(session, wanted)
        code = city.code
    else:
        city, code = City(code="", name="全省"), None
    by_cluster = [
        ClusterCount(cluster=c, cluster_label=cluster_label(c), enterprises=n)
        for c, n in enterprise_repository.counts_by_cluster(session, code)
    ]
    yearly = repository.yearly_counts(session, code)
    years = [_period(y, c.batches, c.passed, c.failed) for y, c in yearly]
    all_years = _period(
        None, sum(c.batches for _, c in yearly), sum(c.passed for _, c in yearly), sum(c.failed for _, c in yearly)
    )
    items = [
        FailingItem(test_item=item, failed=f, tested=t, fail_rate=f / t)
        for item, f, t in repository.top_failing_items(session, code, TOP_FAILING_ITEMS)
    ]
    return Overview(
        city=city, cities=[c for c in enterprise_service.cities(session) if scope.allows_city(c.code)], enterprises=sum(c.enterprises for c in by_cluster),
        enterprises_by_cluster=by_cluster, years=years, all_years=all_years, top_failing_items=items,
    )


def history(session: Session, uscc: str, scope: Scope | None = None) -> EnterpriseBatches:
    """An enterprise's batches, newest first, each with the names of the items it failed."""
    e, _city = enterprise_service.find_in_scope(session, uscc, scope or Scope())
    failed_items = repository.failed_items_of(session, e.id)
    items = [
        BatchOut(
            batch_no=b.batch_no, sampled_on=b.sampled_on, product_name=b.product_name, brand=b.brand,
            model=b.model, cluster=b.cluster, channel=b.channel, channel_label=channel_label(b.channel), lab=b.lab,
            passed=b.passed, item_count=b.item_count, failed_count=b.failed_count,
            failed_items=failed_items.get(b.id, []),
        )
        for b in repository.batches_of(session, e.id)
    ]
    return EnterpriseBatches(uscc=e.uscc, name=e.name, total=len(items), items=items)
