"""Alerts and the per-series state of the detectors that raise them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, DateTime, Float, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from lingqu.db.base import Base


class Alert(Base):
    """An early-warning signal with the evidence that raised it.

    ``kind`` is cusum | ewma | complaint_surge; ``scope`` is enterprise | test_item | city and
    ``scope_key`` the enterprise id, test item name or city code. Lifecycle: new -> acknowledged ->
    closed (with a note). ``raised_at`` is the date of the observation that first signalled;
    ``last_signal_on`` the latest signal folded into this (still open) alert.
    """

    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_series_status", "kind", "scope", "scope_key", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(20))
    scope_key: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    raised_at: Mapped[dt.date] = mapped_column(Date, index=True)
    last_signal_on: Mapped[dt.date] = mapped_column(Date)
    statistic: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    #: {"parameters": {...}, "path": [[date, value], ...], "batch_ids" | "complaint_ids": [...], ...}
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    acknowledged_by: Mapped[str] = mapped_column(String(100), default="")
    closed_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class DetectorState(Base):
    """The resumable state of one detector on one series, so scans are incremental."""

    __tablename__ = "alert_detector_state"
    __table_args__ = (UniqueConstraint("scope", "scope_key", "detector"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    scope_key: Mapped[str] = mapped_column(String(120))
    detector: Mapped[str] = mapped_column(String(30))
    last_observed_on: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
