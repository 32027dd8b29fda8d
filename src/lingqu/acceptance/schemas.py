"""Request bodies of the acceptance-sampling API (responses are the service's JSON-ready dicts)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class LineCreate(BaseModel):
    code: str = Field(..., description="Code of the product line / supplier", max_length=60)
    level: str = Field("II", description="S-1, S-2, S-3, S-4, I, II or III")
    aql: str = Field(..., description="Preferred AQL, 0.010 to 1000")
    scheme: str = Field("single", description="single or double")
    name: str = ""
    supplier: str = ""
    measure: str | None = Field(None, description="percent_nonconforming or nonconformities_per_100")
    start_stage: str = Field("normal", description="Severity at the start")


class LotRecordIn(BaseModel):
    lot_size: int = Field(..., description="Items in the lot")
    nonconforming: int = Field(..., description="Nonconforming items (or nonconformities) in the (first) sample")
    nonconforming_second: int | None = Field(None, description="Count in the second sample (double sampling)")
    inspected_on: dt.date | None = None
    lot_no: str = ""
    production_steady: bool = True
    reduced_desirable: bool = Field(True, description="The responsible authority approves reduced inspection")
    normal_required: bool = Field(False, description="The responsible authority reinstates normal inspection")
