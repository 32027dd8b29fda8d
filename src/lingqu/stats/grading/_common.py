"""Errors and argument checks shared by the grading modules."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from lingqu.exceptions import ValidationError


class GradingParameterError(ValidationError, ValueError):
    """A parameter of a grading routine is out of its domain."""


class GradingWarning(UserWarning):
    """A statistical caveat: too few entities for the prior, too few rows to calibrate, ..."""


def _positive(value, name: str, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not math.isfinite(float(value)) or float(value) < 0 or (float(value) == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise GradingParameterError(f"{name} must be a number {bound} (got {value!r})", field=name)
    return float(value)


def _whole(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise GradingParameterError(f"{name} must be a whole number >= {minimum} (got {value!r})", field=name)
    return int(value)


def _binary(y: ArrayLike, name: str = "y") -> np.ndarray:
    a = np.asarray(y, dtype=float).ravel()
    if not np.all((a == 0) | (a == 1)):
        raise GradingParameterError(f"{name} must hold outcomes 0 or 1 only", field=name)
    return a
