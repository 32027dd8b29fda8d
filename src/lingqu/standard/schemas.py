"""Request bodies of the standards API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CloseIn(BaseModel):
    note: str = Field(..., min_length=1, max_length=2000, description="What was done, e.g. certificate converted to the new edition")
