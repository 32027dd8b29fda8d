"""The SQL behind the batch list (/batches) and the drill-down filters shared with the enterprise list.

A :class:`BatchFilter` becomes WHERE terms on ``batch`` only: a year or quarter is a date range
on ``sampled_on`` (so the ``(city_code, sampled_on, ...)`` index serves it, no date function per
row); a test item with "failed" reads the partial index of failing results
(``ix_test_result_failed_item``); a test item otherwise is an EXISTS on the
``(batch_id, test_item)`` unique index. The same terms select the enterprises behind a chart
element (``enterprise_ids``), so the enterprise list and the batch list drill down alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, false, func, select, true
from sqlalchemy.orm import Session

from lingqu.enterprise.models import Enterprise
from lingqu.reference.models import City
from lingqu.sampling.models import Batch, TestResult


@dataclass(frozen=True)
class BatchFilter:
    """Which batches; None / empty means no condition.

    ``passed``: with a ``test_item``, the verdict on that item (False = batches that failed the
    item); without one, the batch's verdict."""

    city_code: str | None = None
    district: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    test_item: str | None = None
    passed: bool | None = None
    cluster: str | None = None
    enterprise_id: int | None = None

    @property
    def empty(self) -> bool:
        return not any((self.city_code, self.district, self.start, self.end, self.test_item,
                        self.passed is not None, self.cluster, self.enterprise_id))


def batch_where(f: BatchFilter) -> list:
    out = []
    if f.city_code:
        out.append(Batch.city_code == f.city_code)
    if f.district:
        out.append(Batch.district == f.district)
    if f.start is not None:
        out.append(Batch.sampled_on >= f.start)
    if f.end is not None:
        out.append(Batch.sampled_on < f.end)
    if f.cluster:
        out.append(Batch.cluster == f.cluster)
    if f.enterprise_id is not None:
        out.append(Batch.enterprise_id == f.enterprise_id)
    if f.test_item:
        if f.passed is False:
            failed = select(TestResult.batch_id).where(TestResult.test_item == f.test_item, TestResult.passed == false())
            out.append(Batch.id.in_(failed))
        else:
            cond = [TestResult.batch_id == Batch.id, TestResult.test_item == f.test_item]
            if f.passed is True:
                cond.append(TestResult.passed == true())
            out.append(exists().where(*cond))
    elif f.passed is not None:
        out.append(Batch.passed == (true() if f.passed else false()))
    return out


def enterprise_ids(f: BatchFilter):
    """A subquery of the ids of enterprises with at least one batch matching ``f``."""
    return select(Batch.enterprise_id).where(*batch_where(f))


def count_batches(session: Session, f: BatchFilter) -> int:
    return int(session.execute(select(func.count()).select_from(Batch).where(*batch_where(f))).scalar_one())


def batch_page(session: Session, f: BatchFilter, *, limit: int | None, offset: int = 0) -> list:
    """Batches newest first with their enterprise and city; rows have the batch columns plus
    ``uscc``, ``enterprise_name`` and ``city_name``."""
    stmt = (
        select(
            Batch.id, Batch.batch_no, Batch.sampled_on, Batch.city_code, City.name_zh.label("city_name"),
            Batch.district, Batch.product_name, Batch.brand, Batch.model, Batch.cluster, Batch.channel,
            Batch.passed, Batch.item_count, Batch.failed_count,
            Enterprise.uscc, Enterprise.name.label("enterprise_name"),
        )
        .join(Enterprise, Enterprise.id == Batch.enterprise_id)
        .join(City, City.code == Batch.city_code)
        .where(*batch_where(f))
        .order_by(Batch.sampled_on.desc(), Batch.id.desc())
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt))


def failed_items(session: Session, batch_ids: list[int]) -> dict[int, list[str]]:
    """The failed items of these batches (by batch id)."""
    out: dict[int, list[str]] = {}
    for i in range(0, len(batch_ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = batch_ids[i:i + 900]
        stmt = (
            select(TestResult.batch_id, TestResult.test_item)
            .where(TestResult.batch_id.in_(chunk), TestResult.passed == false())
            .order_by(TestResult.batch_id, TestResult.test_item)
        )
        for batch_id, item in session.execute(stmt):
            out.setdefault(batch_id, []).append(item)
    return out


def districts_in_use(session: Session, city_code: str | None) -> list[str]:
    stmt = select(Batch.district).distinct().where(Batch.district != "")
    if city_code:
        stmt = stmt.where(Batch.city_code == city_code)
    return sorted(session.execute(stmt).scalars())


def test_items_in_use(session: Session) -> list[str]:
    from lingqu.reference.models import TestItem

    return list(session.execute(select(TestItem.name_zh).order_by(TestItem.item_no)).scalars())
