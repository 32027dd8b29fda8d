"""The versioned grading policy: probability to grade A–D with sampling ratio and frequency."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from lingqu.stats.grading._common import GradingParameterError


GRADES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class GradeRule:
    """One grade of a policy: probabilities in ``[lower, upper)`` and the supervision it calls for.

    The sampling ratios and frequencies are those of the credit-risk grading practice in
    ``reference/credit_risk_grades.csv`` (national 2022 measures; Lindian 2024 ratios and
    frequencies per enterprise)."""

    grade: str
    label_zh: str
    label_en: str
    lower: float
    upper: float
    sampling_ratio: str
    frequency: str


@dataclass(frozen=True)
class GradingPolicy:
    """A versioned mapping from probability of a problem to grade A–D.

    ``cut_points = (c1, c2, c3)``: A below c1, B in [c1, c2), C in [c2, c3), D at c3 and above.
    The cut points are a regulator's policy choice, not a statistical result; change them by
    publishing a policy with a new ``version``. A missing probability gets the grade "".
    """

    version: str = "lingqu-risk-2026.1"
    #: A below 0.30 (about the market's recent failure rate: "no worse than the market"), D from 0.60
    #: (twice it). On the demo worlds this puts roughly 60 / 27 / 10 / 3 % of the enterprises in
    #: A / B / C / D, close to the only published grade distribution (Dandong 2023: 65 / 25 / 7.7 / 1.5 %).
    cut_points: tuple[float, float, float] = (0.30, 0.45, 0.60)
    labels_zh: tuple[str, ...] = ("低", "一般", "较高", "高")
    labels_en: tuple[str, ...] = ("low", "ordinary", "relatively high", "high")
    #: Yancheng 2022 published ratios (reference/credit_risk_grades.csv): the steepest published
    #: practice (A : D = 0.015 : 0.9 at the midpoints). Version 2025.1 used Lindian 2024's ratios
    #: (<= 5 %, 5-20 %, 21-60 %, 61-100 %) with cut points 0.10 / 0.25 / 0.50; on the demo worlds it
    #: gave 1.1-1.3x the uniform draw's failing batches, this one 1.5-1.75x (docs/methods/sampling-plan.md).
    sampling_ratios: tuple[str, ...] = ("< 3%", "3%-20%", "30%-50%", "> 80%")
    frequencies: tuple[str, ...] = ("less than once a year", "once a year", "less than twice a year",
                                    "as supervision requires")
    rules: tuple[GradeRule, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.version, str) or not self.version.strip():
            raise GradingParameterError("version must be a non-empty string", field="version")
        c = tuple(self.cut_points)
        if len(c) != 3 or not all(isinstance(v, (int, float)) and 0 < v < 1 for v in c) or not c[0] < c[1] < c[2]:
            raise GradingParameterError(f"cut_points must be three increasing probabilities in (0, 1) (got {c!r})",
                                        field="cut_points")
        edges = (0.0, *c, math.inf)
        rules = tuple(GradeRule(g, self.labels_zh[i], self.labels_en[i], float(edges[i]), float(edges[i + 1]),
                                self.sampling_ratios[i], self.frequencies[i]) for i, g in enumerate(GRADES))
        object.__setattr__(self, "rules", rules)

    def grade(self, probability: ArrayLike) -> np.ndarray:
        """Grade letter per probability (a NumPy array of ``"A".."D"``, ``""`` where missing)."""
        p = np.asarray(probability, dtype=float)
        if np.any(p[np.isfinite(p)] < 0) or np.any(p[np.isfinite(p)] > 1):
            raise GradingParameterError("probability must be between 0 and 1", field="probability")
        idx = np.searchsorted(np.asarray(self.cut_points), p, side="right")
        out = np.asarray(GRADES + ("",))[np.where(np.isnan(p), 4, idx)]
        return out

    def as_dict(self) -> dict:
        return {"version": self.version, "cut_points": list(self.cut_points),
                "grades": [{"grade": r.grade, "label_zh": r.label_zh, "label_en": r.label_en, "lower": r.lower,
                            "upper": None if math.isinf(r.upper) else r.upper, "sampling_ratio": r.sampling_ratio,
                            "frequency": r.frequency} for r in self.rules]}


DEFAULT_POLICY = GradingPolicy()
