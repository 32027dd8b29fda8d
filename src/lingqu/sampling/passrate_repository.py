"""The SQL behind pass-rate statistics: passed / failed / pending counts per slice, in one GROUP BY.

Two units are counted:

* **batch** — one row of ``batch``; ``passed`` true is a passed batch, false a failed batch (at
  least one item failed), NULL a batch without a verdict yet (pending);
* **test** — one row of ``test_result`` (one test item on one batch); used when slicing by
  test item, because a batch is tested on many items.

Each query reads the rows once: an inner select picks the slice key (and, for a trend, the
calendar year and quarter of ``sampled_on``) per row, an aggregate groups by them, and an outer
select joins the few labels (city names, enterprise names) onto the groups, so the GROUP BY keys
stay narrow. Year and quarter are computed with ``EXTRACT`` (the quarter as ``(month + 2) // 3``
in integer arithmetic), which both SQLite and PostgreSQL run. Periods are filtered on ``batch.sampled_on`` (indexed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Integer, case, cast, extract, func, select
from sqlalchemy.orm import Session

from lingqu.enterprise.models import Enterprise
from lingqu.reference.models import City
from lingqu.sampling.models import Batch, TestResult

#: Slice dimensions and how many key parts each has (see :func:`counts`).
DIMENSIONS = ("city", "district", "enterprise", "brand", "channel", "product", "cluster", "test_item", "year", "quarter")


@dataclass(frozen=True)
class SliceFilter:
    """Which batches count: sampled in [start, end) when given, in a city, of a cluster."""

    start: dt.date | None = None
    end: dt.date | None = None
    city_code: str | None = None
    cluster: str | None = None


@dataclass(frozen=True)
class GroupCounts:
    """Counts of one slice (and one period of the trend, if asked).

    ``parts`` is the slice key as stored, with its label parts:
    city (code, city name) · district (city code, district, city name) · enterprise (uscc, name) ·
    brand / channel / product / cluster / test_item (value,) · year (year,) · quarter (year, quarter).
    ``period`` is (year, None) for a yearly trend, (year, quarter) for a quarterly one, else None.
    """

    parts: tuple
    period: tuple[int, int | None] | None
    passed: int
    failed: int
    pending: int


def _year(column):
    return cast(extract("year", column), Integer)


def _quarter(column):
    # (month + 2) // 3 in integer arithmetic on both backends: one date function per row
    return (cast(extract("month", column), Integer) + 2) // 3


def _where(f: SliceFilter) -> list:
    out = []
    if f.start is not None:
        out.append(Batch.sampled_on >= f.start)
    if f.end is not None:
        out.append(Batch.sampled_on < f.end)
    if f.city_code:
        out.append(Batch.city_code == f.city_code)
    if f.cluster:
        out.append(Batch.cluster == f.cluster)
    return out


def _key_columns(by: str) -> list:
    if by == "test_item":
        return [TestResult.test_item]
    return {
        "city": [Batch.city_code],
        "district": [Batch.city_code, Batch.district],
        "enterprise": [Batch.enterprise_id],
        "brand": [Batch.brand],
        "channel": [Batch.channel],
        "product": [Batch.product_name],
        "cluster": [Batch.cluster],
        "year": [_year(Batch.sampled_on)],
        "quarter": [_year(Batch.sampled_on), _quarter(Batch.sampled_on)],
    }[by]


def _period_columns(trend: str | None) -> list:
    if trend == "year":
        return [_year(Batch.sampled_on)]
    if trend == "quarter":
        return [_year(Batch.sampled_on), _quarter(Batch.sampled_on)]
    return []


def counts(session: Session, by: str, f: SliceFilter, trend: str | None = None) -> list[GroupCounts]:
    """Passed, failed and pending counts per slice of ``by`` (and per period of ``trend``).

    For ``by="test_item"`` the unit is the test result; for every other dimension, the batch.
    """
    if by not in DIMENSIONS:
        raise ValueError(f"unknown dimension {by!r}")
    keys = [c.label(f"k{i}") for i, c in enumerate(_key_columns(by))]
    periods = [c.label(f"p{i}") for i, c in enumerate(_period_columns(trend))]
    verdict = (TestResult.passed if by == "test_item" else Batch.passed).label("ok")
    rows = select(*keys, *periods, verdict)
    if by == "test_item":
        rows = rows.select_from(TestResult).join(Batch, Batch.id == TestResult.batch_id)
    rows = rows.where(*_where(f)).subquery("r")

    k = [rows.c[c.name] for c in keys]
    p = [rows.c[c.name] for c in periods]
    ok = rows.c.ok
    grouped = (
        select(
            *k, *p,
            func.sum(case((ok.is_(True), 1), else_=0)).label("passed"),
            func.sum(case((ok.is_(False), 1), else_=0)).label("failed"),
            func.sum(case((ok.is_(None), 1), else_=0)).label("pending"),
        )
        .group_by(*k, *p)
        .subquery("g")
    )
    g = grouped.c
    counts_cols = [g[c.name] for c in periods] + [g.passed, g.failed, g.pending]
    if by == "city":
        stmt = select(g.k0, City.name_zh, *counts_cols).outerjoin(City, City.code == g.k0)
    elif by == "district":
        stmt = select(g.k0, g.k1, City.name_zh, *counts_cols).outerjoin(City, City.code == g.k0)
    elif by == "enterprise":
        stmt = select(Enterprise.uscc, Enterprise.name, *counts_cols).join(Enterprise, Enterprise.id == g.k0)
    else:
        stmt = select(*(g[c.name] for c in keys), *counts_cols)

    n_parts = {"city": 2, "district": 3, "enterprise": 2, "quarter": 2}.get(by, 1)
    out = []
    for row in session.execute(stmt):
        parts = tuple(row[:n_parts])
        rest = row[n_parts:]
        if periods:
            period = (int(rest[0]), int(rest[1]) if len(periods) == 2 else None)
            rest = rest[len(periods):]
        else:
            period = None
        passed, failed, pending = (int(x or 0) for x in rest)
        out.append(GroupCounts(parts=parts, period=period, passed=passed, failed=failed, pending=pending))
    return out
