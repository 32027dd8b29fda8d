"""Product lines under acceptance sampling and the lots inspected on them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from lingqu.db.base import Base


class AcceptanceLine(Base):
    """A product line or supplier (one class of nonconformity) inspected lot by lot to GB/T 2828.1.

    ``stage`` and ``switching_score`` are the switching-rule state before the next lot; ``state``
    holds the whole state (:class:`lingqu.stats.acceptance.SwitchingState`) including the reason.
    """

    __tablename__ = "acceptance_line"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    supplier: Mapped[str] = mapped_column(String(200), default="")
    inspection_level: Mapped[str] = mapped_column(String(4))
    aql: Mapped[str] = mapped_column(String(8))
    scheme: Mapped[str] = mapped_column(String(10), default="single")
    #: ``percent_nonconforming`` or ``nonconformities_per_100``
    measure: Mapped[str] = mapped_column(String(30), default="percent_nonconforming")
    stage: Mapped[str] = mapped_column(String(20), default="normal")
    switching_score: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    lot_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class LotInspection(Base):
    """One lot inspected on original inspection: the plan used, the sample results and the outcome."""

    __tablename__ = "lot_inspection"
    __table_args__ = (UniqueConstraint("line_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("acceptance_line.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    lot_no: Mapped[str] = mapped_column(String(60), default="")
    inspected_on: Mapped[dt.date] = mapped_column(Date)
    lot_size: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(20))
    scheme_used: Mapped[str] = mapped_column(String(10))
    code_letter: Mapped[str] = mapped_column(String(1))
    plan_code_letter: Mapped[str] = mapped_column(String(1))
    #: the plan as applied: {"n", "ac", "re"} or {"n1", "ac1", "re1", "n2", "ac2", "re2"} (cumulative n2)
    plan: Mapped[dict] = mapped_column(JSON)
    sample_inspected: Mapped[int] = mapped_column(Integer)
    nonconforming_first: Mapped[int] = mapped_column(Integer)
    nonconforming_second: Mapped[int | None] = mapped_column(Integer)
    accepted: Mapped[bool] = mapped_column(Boolean)
    decided_after: Mapped[str] = mapped_column(String(10), default="first")
    score_points: Mapped[int] = mapped_column(Integer, default=0)
    switching_score_after: Mapped[int] = mapped_column(Integer)
    stage_after: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
