"""The standard domain's tables: the editions live with the reference data
(``lingqu.reference.models.Standard``); the change alerts sent to enterprises live here."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from lingqu.db.base import Base
from lingqu.reference.models import Standard

__all__ = ["Standard", "StandardChangeAlert"]


class StandardChangeAlert(Base):
    """One enterprise affected by one change of one standard edition.

    ``change`` is superseded | withdrawn | replaced_soon (a successor takes effect within the
    window). One row per (edition, enterprise): a later scan refreshes the facts (transition
    date, flagged certificates) but never duplicates the alert or resets its lifecycle
    (new -> acknowledged -> closed with a note).
    """

    __tablename__ = "standard_change_alert"
    __table_args__ = (UniqueConstraint("standard_id", "enterprise_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standard.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    change: Mapped[str] = mapped_column(String(20))
    transition_on: Mapped[dt.date | None] = mapped_column(Date)
    #: codes of the editions that replace this one (``;``-separated)
    successors: Mapped[str] = mapped_column(Text, default="")
    #: why the enterprise is affected: product categories matched, certificates citing the edition
    categories: Mapped[list] = mapped_column(JSON, default=list)
    certificates: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    first_as_of: Mapped[dt.date] = mapped_column(Date)
    last_as_of: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    acknowledged_by: Mapped[str] = mapped_column(String(100), default="")
    closed_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
