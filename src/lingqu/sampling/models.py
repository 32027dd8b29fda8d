"""Supervision sampling (抽检): batches and their per-test-item results."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from lingqu.db.base import Base


class Batch(Base):
    """One sampled lot of one product. ``passed`` is derived: true only if every item passed."""

    __tablename__ = "batch"
    __table_args__ = (
        Index("ix_batch_enterprise_sampled", "enterprise_id", "sampled_on"),
        # Covers the dashboard's GROUP BY (city, district, quarter, verdict) and the batch list's
        # city + period filters without touching the table rows.
        Index("ix_batch_city_sampled", "city_code", "sampled_on", "district", "passed"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_no: Mapped[str] = mapped_column(String(60), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    product_name: Mapped[str] = mapped_column(String(200), default="")
    brand: Mapped[str] = mapped_column(String(100), default="")
    model: Mapped[str] = mapped_column(String(100), default="")
    cluster: Mapped[str] = mapped_column(String(20), default="power_bank")
    sampled_on: Mapped[dt.date] = mapped_column(Date, index=True)
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"), index=True)
    district: Mapped[str] = mapped_column(String(30), default="")
    channel: Mapped[str] = mapped_column(String(20), default="")
    lab: Mapped[str] = mapped_column(String(200), default="")
    passed: Mapped[bool | None] = mapped_column(Boolean)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)


class TestResult(Base):
    """The result of one test item on one batch."""

    __tablename__ = "test_result"
    __test__ = False
    __table_args__ = (
        UniqueConstraint("batch_id", "test_item"),
        # Failures only (a few per cent of the rows): the failing-item Pareto and the drill-down
        # "batches that failed item X" read this small partial index instead of every result.
        Index("ix_test_result_failed_item", "test_item", "batch_id",
              sqlite_where=text("passed = 0"), postgresql_where=text("passed = false")),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"))
    # No full index of its own: per-item analytics scan the table columnar (DuckDB); a full index
    # would cost ~15 % of bulk-import time. Only failures are indexed (see __table_args__).
    test_item: Mapped[str] = mapped_column(String(60))
    standard_code: Mapped[str] = mapped_column(String(60), default="")
    passed: Mapped[bool] = mapped_column(Boolean)
    measured_value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20), default="")
    limit_text: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(20), default="")
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
