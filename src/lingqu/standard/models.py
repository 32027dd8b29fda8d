"""The standard domain's table lives with the reference data (``lingqu.reference.models.Standard``)."""

from __future__ import annotations

from lingqu.reference.models import Standard

__all__ = ["Standard"]
