"""Pydantic input of the risk API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class PlanDrawIn(BaseModel):
    budget: int = Field(..., ge=1, description="number of enterprises to sample")
    period: str = Field(..., description="e.g. 2025Q1")
    seed: int = Field(..., ge=0, description="published random seed")
    as_of: dt.date | None = Field(None, description="grades as of this date (default: the period's first day)")
    by_district: bool = False
    floor: float | None = Field(None, gt=0, le=1, description="minimum inclusion probability")
