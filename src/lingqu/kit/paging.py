"""Paging and integer query parameters, shared by every list (enterprises, batches, service requests)."""

from __future__ import annotations

from pydantic import BaseModel

from lingqu.exceptions import ValidationError


def int_param(value: str | int | None, field: str, default: int, low: int, high: int | None = None) -> int:
    """A whole-number query parameter: empty means ``default``; out of range is a 422 naming ``field``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = None
    if n is None or n < low or (high is not None and n > high):
        bound = f"{low} 到 {high} 之间" if high is not None else f"不小于 {low}"
        bound_en = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValidationError(f"参数 {field} 应为{bound}的整数，实为 {value!r} ({field} must be an integer {bound_en})",
                              field=field)
    return n


class PageInfo(BaseModel):
    """Where a page of a list stands; subclasses add ``items``."""

    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))
