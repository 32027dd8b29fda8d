"""Request bodies of the alert API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CloseIn(BaseModel):
    note: str = Field(..., min_length=1, description="What was found or done")
