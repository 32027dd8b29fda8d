"""Stored risk grades (replayable: each with its policy version and as-of date) and sampling plans."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from lingqu.db.base import Base


class RiskGrade(Base):
    """The grade of one enterprise as of a date under one grading policy, with its reasons."""

    __tablename__ = "risk_grade"
    __table_args__ = (UniqueConstraint("enterprise_id", "as_of", "policy_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    policy_version: Mapped[str] = mapped_column(String(40))
    probability: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(2))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class SamplingPlan(Base):
    """A published supervision sampling plan: anyone can re-draw it from seed + as-of grades."""

    __tablename__ = "sampling_plan"
    __table_args__ = (UniqueConstraint("period", "seed", "budget", "as_of", "policy_version", "by_district", "floor",
                                       "city_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(20), index=True)
    seed: Mapped[int] = mapped_column(Integer)
    budget: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[dt.date] = mapped_column(Date)
    policy_version: Mapped[str] = mapped_column(String(40))
    by_district: Mapped[bool] = mapped_column(Boolean, default=False)
    floor: Mapped[float] = mapped_column(Float)
    #: "" for a province-wide plan; a city's code for a plan drawn among that city's enterprises only
    city_code: Mapped[str] = mapped_column(String(12), default="", server_default="")
    expected_failures: Mapped[float] = mapped_column(Float)
    expected_failures_uniform: Mapped[float] = mapped_column(Float)
    enterprises: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
