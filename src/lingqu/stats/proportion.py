"""Confidence intervals for a binomial proportion (a pass rate, a failure rate).

``wilson_interval(successes, n)`` is the score interval of Wilson (1927): the set of proportions
``p`` that a score test at level ``1 − confidence`` would not reject,

    centre  = (x + z²/2) / (n + z²)
    half    = z·√n / (n + z²) · √(p̂(1 − p̂) + z²/(4n))

with ``p̂ = x/n`` and ``z`` the ``(1 + confidence)/2`` quantile of the standard normal. It is the
interval R gives with ``binom::binom.confint(x, n, methods = "wilson")`` or
``prop.test(x, n, correct = FALSE)``, and statsmodels with
``proportion_confint(x, n, method = "wilson")``. Brown, Cai & DasGupta (2001) recommend it over
the textbook Wald interval ``p̂ ± z·√(p̂(1 − p̂)/n)``, whose coverage collapses near 0 and 1 and at
small n (it gives a zero-width interval at p̂ = 0 or 1) — exactly where pass rates live.

``clopper_pearson(successes, n)`` is the "exact" interval of Clopper & Pearson (1934) from beta
quantiles; its coverage is never below the nominal level, at the price of being wider. Use it
when a guarantee matters more than length, e.g. with very few batches.

Both come in a scalar form returning :class:`Interval` and a vectorised form
(:func:`wilson_intervals`, :func:`clopper_pearson_intervals`) over NumPy arrays for bulk use
(one call for thousands of enterprises). Parameters are checked up front; a bad value raises
:class:`ProportionParameterError` (a ``lingqu.exceptions.ValidationError`` and a ``ValueError``)
naming the parameter. ``n = 0`` is not an error — nothing was observed — and gives NaN with a
:class:`ProportionWarning`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from lingqu.exceptions import ValidationError

WILSON = "wilson"
CLOPPER_PEARSON = "clopper-pearson"


class ProportionParameterError(ValidationError, ValueError):
    """A parameter of a proportion routine is out of its domain."""


class ProportionWarning(UserWarning):
    """A statistical caveat about a proportion, e.g. an empty sample whose interval is undefined."""


@dataclass(frozen=True)
class Interval:
    """A point estimate of a proportion and its two-sided confidence interval."""

    estimate: float
    lower: float
    upper: float
    n: int
    successes: int
    confidence: float
    method: str

    def contains(self, p: float) -> bool:
        return self.lower <= p <= self.upper


@dataclass(frozen=True)
class Intervals:
    """Vectorised :class:`Interval`: one element per (successes, n) pair; arrays are read-only."""

    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n: np.ndarray
    successes: np.ndarray
    confidence: float
    method: str

    def __len__(self) -> int:
        return int(self.n.size)

    def __getitem__(self, i: int) -> Interval:
        return Interval(
            estimate=float(self.estimate[i]), lower=float(self.lower[i]), upper=float(self.upper[i]),
            n=int(self.n[i]), successes=int(self.successes[i]), confidence=self.confidence, method=self.method,
        )


# --- parameters -----------------------------------------------------------------------------------

def _counts(values: ArrayLike, name: str) -> np.ndarray:
    """Whole, non-negative, finite counts as an int64 array (a scalar becomes a 0-d array)."""
    if isinstance(values, bool) or (isinstance(values, np.ndarray) and values.dtype == bool):
        raise ProportionParameterError(f"{name} must be a whole number, not a boolean", field=name)
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ProportionParameterError(f"{name} must be a whole number (got {values!r})", field=name) from None
    if not np.all(np.isfinite(a)) or np.any(a != np.floor(a)):
        raise ProportionParameterError(f"{name} must be a whole number (got {values!r})", field=name)
    if np.any(a < 0):
        raise ProportionParameterError(f"{name} must be >= 0 (got {values!r})", field=name)
    return a.astype(np.int64)


def _check(successes: ArrayLike, n: ArrayLike, confidence: float) -> tuple[np.ndarray, np.ndarray, float]:
    x = _counts(successes, "successes")
    m = _counts(n, "n")
    try:
        x, m = np.broadcast_arrays(x, m)
    except ValueError:
        raise ProportionParameterError(
            f"successes and n must have the same shape (got {np.shape(x)} and {np.shape(m)})", field="successes"
        ) from None
    if np.any(x > m):
        raise ProportionParameterError("successes must be <= n (cannot pass more than were tested)", field="successes")
    if isinstance(confidence, bool):
        confidence = float("nan")
    try:
        c = float(confidence)
    except (TypeError, ValueError):
        c = float("nan")
    if not 0.0 < c < 1.0:
        raise ProportionParameterError(f"confidence must be strictly between 0 and 1 (got {confidence!r})",
                                       field="confidence")
    return x, m, c


def _warn_empty(m: np.ndarray) -> None:
    empty = int(np.count_nonzero(m == 0))
    if empty:
        what = "n = 0" if m.ndim == 0 else f"{empty} of {m.size} elements have n = 0"
        warnings.warn(f"{what}: no observations, the proportion and its interval are NaN",
                      ProportionWarning, stacklevel=3)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a)  # own copy, so freezing it does not touch the caller's array
    a.setflags(write=False)
    return a


# --- Wilson score interval ------------------------------------------------------------------------

def _wilson(x: np.ndarray, m: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    z = stats.norm.ppf(0.5 + confidence / 2.0)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / m
        centre = (x + z2 / 2.0) / (m + z2)
        half = z * np.sqrt(m) / (m + z2) * np.sqrt(p * (1.0 - p) + z2 / (4.0 * m))
    lower = np.clip(centre - half, 0.0, 1.0)
    upper = np.clip(centre + half, 0.0, 1.0)
    # At p̂ = 0 (or 1) the bound is 0 (or 1) exactly; floating point leaves ~1e-17 there.
    lower = np.where(x == 0, 0.0, lower)
    upper = np.where(x == m, 1.0, upper)
    empty = m == 0
    return (np.where(empty, np.nan, p), np.where(empty, np.nan, lower), np.where(empty, np.nan, upper))


def _arrays(compute, method: str, successes, n, confidence: float) -> Intervals:
    x, m, c = _check(successes, n, confidence)
    _warn_empty(m)
    est, lo, hi = compute(x, m, c)
    return Intervals(_frozen(est), _frozen(lo), _frozen(hi), _frozen(m), _frozen(x), c, method)


def _single(compute, method: str, array_name: str, successes, n, confidence: float) -> Interval:
    x, m, c = _check(successes, n, confidence)
    if x.ndim:
        raise ProportionParameterError(f"successes and n must be single numbers; use {array_name} for arrays",
                                       field="successes")
    _warn_empty(m)
    est, lo, hi = compute(x, m, c)
    return Interval(float(est), float(lo), float(hi), int(m), int(x), c, method)


def wilson_intervals(successes: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> Intervals:
    """Wilson score intervals for arrays of counts (broadcast together)."""
    return _arrays(_wilson, WILSON, successes, n, confidence)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """The Wilson score interval for ``successes`` out of ``n``."""
    return _single(_wilson, WILSON, "wilson_intervals", successes, n, confidence)


# --- Clopper-Pearson exact interval ---------------------------------------------------------------

def _clopper_pearson(x: np.ndarray, m: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    alpha = 1.0 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / m
        # Beta(x, n − x + 1) and Beta(x + 1, n − x) quantiles; the bound is 0 at x = 0 and 1 at x = n.
        lower = np.where(x == 0, 0.0, stats.beta.ppf(alpha / 2.0, np.maximum(x, 1), m - x + 1))
        upper = np.where(x == m, 1.0, stats.beta.ppf(1.0 - alpha / 2.0, x + 1, np.maximum(m - x, 1)))
    empty = m == 0
    return (np.where(empty, np.nan, p), np.where(empty, np.nan, lower), np.where(empty, np.nan, upper))


def clopper_pearson_intervals(successes: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> Intervals:
    """Clopper-Pearson exact intervals for arrays of counts (broadcast together)."""
    return _arrays(_clopper_pearson, CLOPPER_PEARSON, successes, n, confidence)


def clopper_pearson(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """The Clopper-Pearson exact interval for ``successes`` out of ``n``."""
    return _single(_clopper_pearson, CLOPPER_PEARSON, "clopper_pearson_intervals", successes, n, confidence)
