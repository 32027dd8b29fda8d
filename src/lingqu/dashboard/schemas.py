"""Pydantic shapes of the dashboard (the page renders them; /api/v1/dashboard returns them)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from lingqu.enterprise.schemas import City


class Kpi(BaseModel):
    """One programme KPI against its target. ``status`` is meets_target, below_target,
    undetermined (the interval straddles the target) or no_data (not yet connected)."""

    key: str
    label: str
    value: float | None = None
    unit: str = ""
    target: float | None = None
    target_text: str
    lower: float | None = Field(None, description="Wilson 95 % lower bound, for rates")
    upper: float | None = None
    n: int | None = Field(None, description="batches with a verdict behind a rate")
    status: str
    note: str = ""
    drill: str | None = Field(None, description="the page listing the records behind the figure")


class RatePoint(BaseModel):
    passed: int
    failed: int
    pending: int
    pass_rate: float | None
    lower: float | None
    upper: float | None
    status: str


class TrendPoint(RatePoint):
    year: int
    quarter: int
    period: str
    label: str


class DistrictRow(RatePoint):
    city_code: str
    city_name: str
    district: str
    label: str


class ParetoRow(BaseModel):
    test_item: str
    failures: int
    share: float = Field(description="share of all failures")
    cumulative: float = Field(description="cumulative share, most-failed first")


class GradeRow(BaseModel):
    grade: str
    label: str
    enterprises: int
    share: float


class Dashboard(BaseModel):
    city: City | None = Field(None, description="null: the whole province")
    cities: list[City]
    target_pass_rate: float
    enterprises: int
    kpi_year: int | None
    kpis: list[Kpi]
    trend: list[TrendPoint]
    pareto: list[ParetoRow]
    districts: list[DistrictRow]
    grades: list[GradeRow]
    grades_as_of: dt.date | None
