"""How good are risk scores? Discrimination, accuracy and calibration of predicted probabilities.

All functions take ``y`` (observed outcomes, 1 = a problem was found, 0 = none) and a score or
predicted probability per inspection, as array-likes of the same length. Rows where either is
missing (NaN) are an error: the caller decides which rows are evaluable.

- :func:`roc_auc` — the area under the ROC curve, computed as the Mann–Whitney statistic
  ``U / (n₁ n₀)``: the probability that a randomly chosen positive scores higher than a randomly
  chosen negative, ties counting one half (Hanley & McNeil 1982, eq. 1–2; Bamber 1975).
  :func:`auc_standard_error` is Hanley & McNeil's (1982) standard error with their
  ``Q₁ = A/(2 − A)``, ``Q₂ = 2A²/(1 + A)`` approximation.
- :func:`brier_score` — the mean squared difference between probability and outcome (Brier 1950).
- :func:`calibration_table` — bins of predicted probability (equal-count or fixed-width) with the
  number of rows, the mean prediction and the observed rate; :func:`expected_calibration_error`
  is the row-weighted mean of ``|observed − predicted|`` over those bins (Naeini et al. 2015).
- :func:`hit_rate_by_grade` — per grade band: rows, positives, observed rate ("hit rate") and mean
  prediction.
- :func:`share_of_positives_in_top_half` — re-order the inspections by score, highest first; the
  share of all positives found in the first half. Ties in score are shared out: a group of tied
  rows straddling the half-way mark counts each of its positives by the fraction of the group's
  positions inside the first half (the expectation under random tie-breaking); with an odd number
  of rows the half is ``n/2`` and the middle position counts one half.

Parameters are checked up front; a bad value raises :class:`EvaluationParameterError` (a
``lingqu.exceptions.ValidationError`` and a ``ValueError``) naming the parameter. Undefined
quantities (AUC with only one class) are NaN with an :class:`EvaluationWarning`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata

from lingqu.exceptions import ValidationError

QUANTILE = "quantile"
UNIFORM = "uniform"


class EvaluationParameterError(ValidationError, ValueError):
    """A parameter of an evaluation routine is out of its domain."""


class EvaluationWarning(UserWarning):
    """A statistical caveat about an evaluation, e.g. an AUC that is undefined with one class."""


@dataclass(frozen=True)
class CalibrationBin:
    """One bin of a calibration table: predictions in ``[lower, upper]``."""

    lower: float
    upper: float
    n: int
    mean_predicted: float
    observed_rate: float
    positives: int


@dataclass(frozen=True)
class GradeOutcome:
    """Observed outcomes of the inspections given one grade."""

    grade: str
    n: int
    positives: int
    hit_rate: float
    mean_predicted: float


# --- parameters -----------------------------------------------------------------------------------

def _outcomes(y: ArrayLike, name: str = "y") -> np.ndarray:
    try:
        a = np.asarray(y, dtype=float).ravel()
    except (TypeError, ValueError):
        raise EvaluationParameterError(f"{name} must hold outcomes 0 or 1", field=name) from None
    if not np.all((a == 0) | (a == 1)):
        raise EvaluationParameterError(f"{name} must hold outcomes 0 or 1 only (no missing values)", field=name)
    return a


def _scores(score: ArrayLike, n: int, name: str, probability: bool = False) -> np.ndarray:
    try:
        s = np.asarray(score, dtype=float).ravel()
    except (TypeError, ValueError):
        raise EvaluationParameterError(f"{name} must be numbers", field=name) from None
    if s.size != n:
        raise EvaluationParameterError(f"{name} must have one value per outcome (got {s.size}, want {n})", field=name)
    if not np.all(np.isfinite(s)):
        raise EvaluationParameterError(f"{name} must be finite numbers (no missing values)", field=name)
    if probability and (np.any(s < 0) or np.any(s > 1)):
        raise EvaluationParameterError(f"{name} must be probabilities between 0 and 1", field=name)
    return s


def _pair(y: ArrayLike, score: ArrayLike, name: str, probability: bool = False) -> tuple[np.ndarray, np.ndarray]:
    yy = _outcomes(y)
    return yy, _scores(score, yy.size, name, probability)


# --- discrimination -------------------------------------------------------------------------------

def roc_auc(y: ArrayLike, score: ArrayLike) -> float:
    """Area under the ROC curve = Mann–Whitney ``U / (n₁ n₀)``, ties counted one half.

    ``U = R₁ − n₁(n₁ + 1)/2`` with ``R₁`` the sum of the mid-ranks of the positives' scores.
    NaN (with a warning) when there are no positives or no negatives.
    """
    yy, s = _pair(y, score, "score")
    n1 = int(yy.sum())
    n0 = yy.size - n1
    if n1 == 0 or n0 == 0:
        warnings.warn("roc_auc: needs at least one positive and one negative outcome; AUC is NaN",
                      EvaluationWarning, stacklevel=2)
        return float("nan")
    ranks = rankdata(s)  # mid-ranks for ties
    u = float(ranks[yy == 1].sum()) - n1 * (n1 + 1) / 2.0
    return u / (n1 * n0)


def auc_standard_error(auc: float, n_positive: int, n_negative: int) -> float:
    """Hanley & McNeil (1982, eq. 2) standard error of an AUC from ``n_positive`` and ``n_negative`` rows."""
    if not (isinstance(auc, (int, float)) and 0.0 <= auc <= 1.0):
        raise EvaluationParameterError(f"auc must be between 0 and 1 (got {auc!r})", field="auc")
    for name, v in (("n_positive", n_positive), ("n_negative", n_negative)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise EvaluationParameterError(f"{name} must be a whole number >= 1 (got {v!r})", field=name)
    a = float(auc)
    q1 = a / (2 - a)
    q2 = 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n_positive - 1) * (q1 - a * a) + (n_negative - 1) * (q2 - a * a)) / (n_positive * n_negative)
    return math.sqrt(max(var, 0.0))


def share_of_positives_in_top_half(y: ArrayLike, score: ArrayLike) -> float:
    """Share of all positives among the first half of the rows ordered by score, highest first.

    Ties are shared out by expectation (see the module docstring). NaN without positives.
    """
    yy, s = _pair(y, score, "score")
    total = yy.sum()
    if total == 0:
        warnings.warn("share_of_positives_in_top_half: no positive outcomes; the share is NaN",
                      EvaluationWarning, stacklevel=2)
        return float("nan")
    order = np.argsort(-s, kind="stable")
    ss, yo = s[order], yy[order]
    new = np.r_[True, ss[1:] != ss[:-1]]
    gid = np.cumsum(new) - 1
    starts = np.flatnonzero(new).astype(float)
    ends = np.r_[starts[1:], float(ss.size)]
    half = ss.size / 2.0
    frac = np.clip(np.minimum(ends, half) - starts, 0.0, None) / (ends - starts)
    return float((yo * frac[gid]).sum() / total)


# --- accuracy and calibration ---------------------------------------------------------------------

def brier_score(y: ArrayLike, probability: ArrayLike) -> float:
    """Mean of ``(p − y)²`` over the rows (Brier 1950); 0 is perfect, 0.25 is a coin at 0.5."""
    yy, p = _pair(y, probability, "probability", probability=True)
    if yy.size == 0:
        raise EvaluationParameterError("y must hold at least one outcome", field="y")
    return float(np.mean((p - yy) ** 2))


def _bin_edges(p: np.ndarray, bins: int, strategy: str) -> np.ndarray:
    if strategy == UNIFORM:
        return np.linspace(0.0, 1.0, bins + 1)
    edges = np.quantile(p, np.linspace(0.0, 1.0, bins + 1))
    return np.unique(edges)


def calibration_table(y: ArrayLike, probability: ArrayLike, bins: int = 10,
                      strategy: str = QUANTILE) -> list[CalibrationBin]:
    """Bins of predicted probability with ``n``, mean prediction and observed rate; empty bins omitted.

    ``strategy="quantile"`` makes bins of (nearly) equal count at the deciles of the predictions
    (tied predictions stay in one bin); ``"uniform"`` uses ``bins`` equal-width bins on [0, 1].
    """
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise EvaluationParameterError(f"bins must be a whole number >= 1 (got {bins!r})", field="bins")
    if strategy not in (QUANTILE, UNIFORM):
        raise EvaluationParameterError(f"strategy must be 'quantile' or 'uniform' (got {strategy!r})", field="strategy")
    yy, p = _pair(y, probability, "probability", probability=True)
    if yy.size == 0:
        return []
    edges = _bin_edges(p, int(bins), strategy)
    if edges.size < 2:
        edges = np.array([p.min(), p.max()])
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, edges.size - 2)
    k = edges.size - 1
    n = np.bincount(idx, minlength=k)
    sp = np.bincount(idx, weights=p, minlength=k)
    sy = np.bincount(idx, weights=yy, minlength=k)
    out = []
    for b in np.flatnonzero(n):
        out.append(CalibrationBin(lower=float(edges[b]), upper=float(edges[b + 1]), n=int(n[b]),
                                  mean_predicted=float(sp[b] / n[b]), observed_rate=float(sy[b] / n[b]),
                                  positives=int(round(sy[b]))))
    return out


def expected_calibration_error(y: ArrayLike, probability: ArrayLike, bins: int = 10, strategy: str = QUANTILE) -> float:
    """``Σ_b (n_b / N) · |observed_b − predicted_b|`` over the bins of :func:`calibration_table`."""
    table = calibration_table(y, probability, bins=bins, strategy=strategy)
    total = sum(b.n for b in table)
    if total == 0:
        raise EvaluationParameterError("y must hold at least one outcome", field="y")
    return float(sum(b.n * abs(b.observed_rate - b.mean_predicted) for b in table) / total)


def hit_rate_by_grade(y: ArrayLike, grades: ArrayLike, probability: ArrayLike | None = None,
                      order: tuple[str, ...] = ("A", "B", "C", "D")) -> list[GradeOutcome]:
    """Per grade (in ``order``, every grade listed even when empty): rows, positives, observed rate.

    ``probability`` (optional) adds the mean prediction per grade. Grades not in ``order`` are an error.
    """
    yy = _outcomes(y)
    g = np.asarray(grades).astype(str).ravel()
    if g.size != yy.size:
        raise EvaluationParameterError(f"grades must have one value per outcome (got {g.size}, want {yy.size})",
                                       field="grades")
    unknown = sorted(set(np.unique(g)) - set(order))
    if unknown:
        raise EvaluationParameterError(f"grades must be one of {', '.join(order)} (got {', '.join(unknown[:5])})",
                                       field="grades")
    p = None if probability is None else _scores(probability, yy.size, "probability", probability=True)
    out = []
    for grade in order:
        m = g == grade
        n = int(m.sum())
        pos = int(yy[m].sum())
        out.append(GradeOutcome(grade=grade, n=n, positives=pos, hit_rate=pos / n if n else float("nan"),
                             mean_predicted=float(p[m].mean()) if (p is not None and n) else float("nan")))
    return out
