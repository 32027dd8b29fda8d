"""Operating characteristics of single and double sampling plans (ISO 2859-1:1999 clause 12, Tables 10).

Quality is given as the standard tabulates it, per hundred items:

* ``percent_nonconforming`` — the number of nonconforming items is binomial(n, p/100);
* ``nonconformities_per_100`` — the number of nonconformities is Poisson(n·p/100).

The standard's OC tables use the binomial for percent nonconforming and the Poisson for
nonconformities per 100 items; AQLs above 10 exist only for the latter (clause 5). Both assume the
sample is a small part of the lot (type B OC curve); a warning says when it is not.

Rectifying inspection (clause 12.3/12.4): every item of a lot that is not accepted is inspected and
nonconforming items are replaced, so the average outgoing quality is
``AOQ = p · [P(accept on sample 1)·(N − n1) + P(accept on sample 2)·(N − n2)] / N``; without a lot
size the factor (N − n)/N is taken as 1, as in the AOQL-factor tables of the standard.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from lingqu.stats.acceptance.plans import AcceptanceParameterError, DoubleSamplingPlan, Plan, SingleSamplingPlan

MEASURES: tuple[str, ...] = ("percent_nonconforming", "nonconformities_per_100")


class AcceptanceSamplingWarning(UserWarning):
    """A statistical caveat: an approximation that may not hold for these inputs."""


def parse_measure(value: object) -> str:
    text = str(value).strip().lower() if value is not None else ""
    text = {"percent": "percent_nonconforming", "binomial": "percent_nonconforming", "%": "percent_nonconforming",
            "per100": "nonconformities_per_100", "per_100": "nonconformities_per_100",
            "poisson": "nonconformities_per_100"}.get(text, text)
    if text not in MEASURES:
        raise AcceptanceParameterError(f"measure must be one of {', '.join(MEASURES)} (got {value!r})", field="measure")
    return text


def default_measure(aql: object) -> str:
    """Percent nonconforming for AQL <= 10, nonconformities per 100 items above (clause 5)."""
    return "percent_nonconforming" if float(aql) <= 10 else "nonconformities_per_100"


def _quality_array(quality, measure: str) -> np.ndarray:
    q = np.asarray(quality, dtype=float)
    if np.any(~np.isfinite(q)) or np.any(q < 0):
        raise AcceptanceParameterError("quality must be finite and >= 0 (per 100 items)", field="quality")
    if measure == "percent_nonconforming" and np.any(q > 100):
        raise AcceptanceParameterError("quality in percent nonconforming must be between 0 and 100", field="quality")
    return q


def _cdf(k, size: int, q: np.ndarray, measure: str):
    """P(count <= k) in a sample of ``size`` at quality ``q`` per 100 items (k may be an array)."""
    if measure == "percent_nonconforming":
        return stats.binom.cdf(k, size, q / 100.0)
    return stats.poisson.cdf(k, size * q / 100.0)


def _pmf(k, size: int, q: np.ndarray, measure: str):
    if measure == "percent_nonconforming":
        return stats.binom.pmf(k, size, q / 100.0)
    return stats.poisson.pmf(k, size * q / 100.0)


@dataclass(frozen=True)
class StageProbabilities:
    """For each quality: P(accept) overall, after the first sample, and P(a second sample is taken)."""

    accept: np.ndarray
    accept_first: np.ndarray
    second_sample: np.ndarray


def stage_probabilities(plan: Plan, quality, measure: str = "percent_nonconforming") -> StageProbabilities:
    measure = parse_measure(measure)
    q = _quality_array(quality, measure)
    if isinstance(plan, SingleSamplingPlan):
        pa = np.asarray(_cdf(plan.ac, plan.n, q, measure), dtype=float)
        return StageProbabilities(pa, pa, np.zeros_like(pa))
    if not isinstance(plan, DoubleSamplingPlan):
        raise AcceptanceParameterError("plan must be a SingleSamplingPlan or DoubleSamplingPlan", field="plan")
    first = np.asarray(_cdf(plan.ac1, plan.n1, q, measure), dtype=float)
    ks = np.arange(plan.ac1 + 1, plan.re1)
    qq = q[..., None]
    second = np.sum(_pmf(ks, plan.n1, qq, measure) * _cdf(plan.ac2 - ks, plan.second_sample_size, qq, measure), axis=-1)
    go_on = np.asarray(_cdf(plan.re1 - 1, plan.n1, q, measure), dtype=float) - first
    return StageProbabilities(first + second, first, np.clip(go_on, 0.0, 1.0))


def probability_of_acceptance(plan: Plan, quality, measure: str = "percent_nonconforming"):
    """Pa at quality ``quality`` (per 100 items); a float for a scalar, an array for an array."""
    pa = stage_probabilities(plan, quality, measure).accept
    return float(pa) if np.ndim(pa) == 0 else pa


def average_sample_number(plan: Plan, quality, measure: str = "percent_nonconforming"):
    """ASN without curtailment (clause 12.5): n for single, n1 + (n2 - n1)·P(second sample) for double."""
    if isinstance(plan, SingleSamplingPlan):
        q = _quality_array(quality, parse_measure(measure))
        out = np.full(q.shape, float(plan.n))
    else:
        probs = stage_probabilities(plan, quality, measure)
        out = plan.n1 + plan.second_sample_size * probs.second_sample
    return float(out) if np.ndim(out) == 0 else out


def _check_lot(plan: Plan, lot_size: int | None) -> None:
    if lot_size is None:
        return
    if isinstance(lot_size, bool) or not isinstance(lot_size, (int, np.integer)) or lot_size < plan.max_sample_size:
        raise AcceptanceParameterError(
            f"lot_size must be a whole number >= the largest sample size {plan.max_sample_size} (got {lot_size!r})",
            field="lot_size")
    if plan.max_sample_size > 0.1 * lot_size:
        warnings.warn(
            f"the sample ({plan.max_sample_size}) is more than 10 % of the lot ({lot_size}); binomial/Poisson OC values "
            "(type B) overstate the probability of accepting a bad lot compared with the exact hypergeometric (type A)",
            AcceptanceSamplingWarning, stacklevel=3)


def average_outgoing_quality(plan: Plan, quality, measure: str = "percent_nonconforming",
                             lot_size: int | None = None):
    """AOQ in the unit of ``quality`` under rectifying inspection (clause 12.3)."""
    _check_lot(plan, lot_size)
    probs = stage_probabilities(plan, quality, measure)
    q = _quality_array(quality, parse_measure(measure))
    if lot_size is None:
        out = q * probs.accept
    elif isinstance(plan, SingleSamplingPlan):
        out = q * probs.accept * (lot_size - plan.n) / lot_size
    else:
        second = probs.accept - probs.accept_first
        out = q * (probs.accept_first * (lot_size - plan.n1) + second * (lot_size - plan.n2)) / lot_size
    return float(out) if np.ndim(out) == 0 else out


def quality_at_probability(plan: Plan, probability: float, measure: str = "percent_nonconforming") -> float | None:
    """The quality (per 100 items) at which Pa equals ``probability``; ``None`` if Pa never falls that low."""
    measure = parse_measure(measure)
    if not 0 < probability < 1:
        raise AcceptanceParameterError(f"probability must be strictly between 0 and 1 (got {probability})",
                                       field="probability")
    top = 100.0 if measure == "percent_nonconforming" else None
    if top is None:  # widen until Pa drops below the target
        top = 1.0
        while probability_of_acceptance(plan, top, measure) > probability:
            top *= 2
            if top > 1e9:
                return None
    elif probability_of_acceptance(plan, top, measure) >= probability:
        return None
    return float(optimize.brentq(lambda x: probability_of_acceptance(plan, x, measure) - probability, 0.0, top,
                                 xtol=1e-12, rtol=1e-12, maxiter=500))


def _upper_quality(plan: Plan, measure: str) -> float:
    q = quality_at_probability(plan, 0.001, measure)
    return q if q is not None else 100.0


def average_outgoing_quality_limit(plan: Plan, measure: str = "percent_nonconforming",
                                   lot_size: int | None = None) -> tuple[float, float]:
    """AOQL (clause 12.4): the maximum of the AOQ over all quality levels, and the quality where it occurs."""
    measure = parse_measure(measure)
    _check_lot(plan, lot_size)
    upper = _upper_quality(plan, measure)
    grid = np.linspace(0.0, upper, 2001)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AcceptanceSamplingWarning)
        aoq = average_outgoing_quality(plan, grid, measure, lot_size)
        i = int(np.argmax(aoq))
        lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
        best = optimize.minimize_scalar(lambda x: -average_outgoing_quality(plan, x, measure, lot_size),
                                        bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    q_best = float(best.x) if -best.fun >= aoq[i] else float(grid[i])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AcceptanceSamplingWarning)
        return float(average_outgoing_quality(plan, q_best, measure, lot_size)), q_best


@dataclass(frozen=True)
class OCCurve:
    """Tabulated OC curve: quality (per 100 items), Pa, AOQ and ASN at each point."""

    measure: str
    quality: np.ndarray
    pa: np.ndarray
    aoq: np.ndarray
    asn: np.ndarray

    def to_dict(self) -> dict:
        return {"measure": self.measure, "points": [
            {"quality": float(q), "pa": float(p), "aoq": float(a), "asn": float(s)}
            for q, p, a, s in zip(self.quality, self.pa, self.aoq, self.asn)]}


def oc_curve(plan: Plan, measure: str = "percent_nonconforming", quality=None, points: int = 51,
             lot_size: int | None = None) -> OCCurve:
    """The OC curve on ``quality`` or, by default, on ``points`` values from 0 to where Pa = 0.1 %."""
    measure = parse_measure(measure)
    if quality is None:
        if not isinstance(points, int) or isinstance(points, bool) or not 2 <= points <= 2001:
            raise AcceptanceParameterError("points must be a whole number from 2 to 2001", field="points")
        quality = np.linspace(0.0, _upper_quality(plan, measure), points)
    q = _quality_array(quality, measure)
    pa = np.atleast_1d(probability_of_acceptance(plan, q, measure))
    aoq = np.atleast_1d(average_outgoing_quality(plan, q, measure, lot_size))
    asn = np.atleast_1d(average_sample_number(plan, q, measure))
    return OCCurve(measure, np.atleast_1d(q), pa, aoq, asn)


@dataclass(frozen=True)
class PlanQuality:
    """The risk points and rectifying-inspection figures of a plan (clause 12; Tables 6, 7, 8, 10).

    ``producer_risk`` is P(not accepting) a lot at exactly the AQL; ``quality_95`` is the quality
    accepted 95 % of the time (producer's risk point, α = 5 %); ``quality_10`` (consumer's risk
    quality at β = 10 %, Table 6) and ``quality_05`` (β = 5 %, Table 7) are accepted 10 % and 5 % of
    the time; ``quality_50`` is the indifference quality.
    """

    measure: str
    aql: float | None
    pa_at_aql: float | None
    producer_risk: float | None
    quality_95: float | None
    quality_50: float | None
    quality_10: float | None
    quality_05: float | None
    aoql: float
    aoql_quality: float
    asn_at_aql: float | None
    lot_size: int | None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def plan_quality(plan: Plan, aql: float | None = None, measure: str = "percent_nonconforming",
                 lot_size: int | None = None) -> PlanQuality:
    measure = parse_measure(measure)
    if aql is not None:
        aql = float(aql)
        if not math.isfinite(aql) or aql < 0:
            raise AcceptanceParameterError("aql must be a non-negative number", field="aql")
        if measure == "percent_nonconforming" and aql > 10:
            raise AcceptanceParameterError(
                "AQLs above 10 are expressed in nonconformities per 100 items only (GB/T 2828.1 clause 5); "
                "use measure=nonconformities_per_100", field="measure")
    _check_lot(plan, lot_size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AcceptanceSamplingWarning)
        aoql, aoql_q = average_outgoing_quality_limit(plan, measure, lot_size)
    pa_aql = probability_of_acceptance(plan, aql, measure) if aql is not None else None
    return PlanQuality(
        measure=measure, aql=aql, pa_at_aql=pa_aql, producer_risk=None if pa_aql is None else 1.0 - pa_aql,
        quality_95=quality_at_probability(plan, 0.95, measure), quality_50=quality_at_probability(plan, 0.50, measure),
        quality_10=quality_at_probability(plan, 0.10, measure), quality_05=quality_at_probability(plan, 0.05, measure),
        aoql=aoql, aoql_quality=aoql_q,
        asn_at_aql=None if aql is None else average_sample_number(plan, aql, measure), lot_size=lot_size)
