"""All SQL about sampling batches and their test results.

Counting conventions: a batch with ``passed`` false is a failed batch (不合格批次); ``passed``
is NULL while a batch has no verdict yet, and such a batch counts as sampled but neither passed
nor failed. A test result with ``passed`` false is a failed item.
"""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt

from sqlalchemy import case, extract, func, select
from sqlalchemy.orm import Session

from lingqu.sampling.models import Batch, TestResult


@dataclass(frozen=True)
class BatchCounts:
    batches: int
    passed: int
    failed: int
    first_sampled_on: dt.date | None = None
    last_sampled_on: dt.date | None = None


def _passed():
    return func.coalesce(func.sum(case((Batch.passed.is_(True), 1), else_=0)), 0)


def _failed():
    return func.coalesce(func.sum(case((Batch.passed.is_(False), 1), else_=0)), 0)


def yearly_counts(session: Session, city_code: str | None) -> list[tuple[int, BatchCounts]]:
    """Per calendar year of sampling, in a city (None: the whole province): batches sampled, passed and failed."""
    year = extract("year", Batch.sampled_on).label("year")
    stmt = select(year, func.count(Batch.id), _passed(), _failed())
    if city_code is not None:
        stmt = stmt.where(Batch.city_code == city_code)
    stmt = stmt.group_by(year).order_by(year)
    return [(int(y), BatchCounts(int(n), int(p), int(f))) for y, n, p, f in session.execute(stmt)]


def top_failing_items(session: Session, city_code: str | None, limit: int = 10) -> list[tuple[str, int, int]]:
    """(test item, failed results, results tested) in a city (None: the whole province), most failures
    first; only items that failed."""
    failed = func.sum(case((TestResult.passed.is_(False), 1), else_=0))
    stmt = select(TestResult.test_item, failed.label("failed"), func.count(TestResult.id).label("tested"))
    if city_code is not None:
        stmt = stmt.join(Batch, Batch.id == TestResult.batch_id).where(Batch.city_code == city_code)
    stmt = (
        stmt
        .group_by(TestResult.test_item)
        .having(failed > 0)
        .order_by(failed.desc(), TestResult.test_item)
        .limit(limit)
    )
    return [(item, int(f), int(t)) for item, f, t in session.execute(stmt)]


def counts_of_enterprise(session: Session, enterprise_id: int) -> BatchCounts:
    stmt = select(
        func.count(Batch.id), _passed(), _failed(), func.min(Batch.sampled_on), func.max(Batch.sampled_on)
    ).where(Batch.enterprise_id == enterprise_id)
    n, p, f, first, last = session.execute(stmt).one()
    return BatchCounts(int(n), int(p), int(f), first, last)


def batches_of(session: Session, enterprise_id: int) -> list[Batch]:
    """An enterprise's batches, newest first."""
    stmt = (
        select(Batch)
        .where(Batch.enterprise_id == enterprise_id)
        .order_by(Batch.sampled_on.desc(), Batch.batch_no.desc())
    )
    return list(session.execute(stmt).scalars())


def failed_items_of(session: Session, enterprise_id: int) -> dict[int, list[str]]:
    """For each of an enterprise's batches that failed items: the names of those items."""
    stmt = (
        select(TestResult.batch_id, TestResult.test_item)
        .join(Batch, Batch.id == TestResult.batch_id)
        .where(Batch.enterprise_id == enterprise_id, TestResult.passed.is_(False))
        .order_by(TestResult.batch_id, TestResult.test_item)
    )
    out: dict[int, list[str]] = {}
    for batch_id, item in session.execute(stmt):
        out.setdefault(batch_id, []).append(item)
    return out
