"""OC, AOQ, AOQL and ASN of sampling plans against independent computations and published values.

Independent computation: SciPy's binomial and Poisson distributions called directly (and, for double
plans, an explicit enumeration of the two samples), closed forms where they exist. Published values:
Montgomery, *Introduction to Statistical Quality Control*, single-sampling example N = 10 000, n = 89,
c = 2 (Pa = 0.9397 at p = 1 %, AOQ = 0.0093); 7 CFR § 42.140 (c)-(d) (US Department of Agriculture, read in
the GitHub copy AlextheYounga/ecfr): the plan n = 500, Ac = 3 (= GB/T 2828.1 Table 2-A row N at AQL 0.25),
"when the quality of lots submitted for inspection is 1.0 defects per hundred units, only 26 percent of the
lots are expected to be accepted", and "0.10 defects per hundred units, about 99 percent".
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import special, stats

from lingqu.stats.acceptance import (
    AcceptanceParameterError,
    AcceptanceSamplingWarning,
    DoubleSamplingPlan,
    SingleSamplingPlan,
    average_outgoing_quality,
    average_outgoing_quality_limit,
    average_sample_number,
    lookup_plan,
    oc_curve,
    plan_quality,
    probability_of_acceptance,
    quality_at_probability,
)

PLANS = [SingleSamplingPlan(2, 0, 1), SingleSamplingPlan(32, 1, 2), SingleSamplingPlan(125, 3, 4),
         SingleSamplingPlan(200, 10, 11), SingleSamplingPlan(13, 21, 22), SingleSamplingPlan(2000, 21, 22)]
QUALITIES = [0.0, 0.01, 0.1, 0.65, 1.0, 2.5, 6.5, 10.0, 25.0, 65.0]


@pytest.mark.parametrize("plan", PLANS, ids=str)
@pytest.mark.parametrize("q", QUALITIES)
def test_single_pa_equals_scipy_binomial_and_poisson(plan, q):
    assert probability_of_acceptance(plan, q, "percent_nonconforming") == pytest.approx(
        stats.binom.cdf(plan.ac, plan.n, q / 100), abs=1e-12)
    assert probability_of_acceptance(plan, q, "nonconformities_per_100") == pytest.approx(
        stats.poisson.cdf(plan.ac, plan.n * q / 100), abs=1e-12)


def test_montgomery_single_sampling_example():
    plan = SingleSamplingPlan(89, 2, 3)
    assert round(probability_of_acceptance(plan, 1.0), 4) == 0.9397
    assert round(average_outgoing_quality(plan, 1.0, lot_size=10_000) / 100, 4) == 0.0093


def test_cfr_42_140_published_oc_points_for_n_500_ac_3():
    plan = SingleSamplingPlan(500, 3, 4)
    assert lookup_plan(50_000, "II", "0.25").plan == plan  # lot 35 001-150 000, level II -> N: 500, 3/4
    # The regulation reads its percentages off a printed curve, to the whole percent.
    assert probability_of_acceptance(plan, 1.0, "nonconformities_per_100") == pytest.approx(0.26, abs=0.006)
    assert probability_of_acceptance(plan, 0.10, "nonconformities_per_100") == pytest.approx(0.99, abs=0.01)


def _double_by_enumeration(plan: DoubleSamplingPlan, q: float, dist: str) -> tuple[float, float]:
    """Pa and ASN by walking every first-sample count (SciPy pmf/cdf only)."""
    m = plan.n2 - plan.n1
    pmf1 = (lambda k: stats.binom.pmf(k, plan.n1, q / 100)) if dist == "b" else \
        (lambda k: stats.poisson.pmf(k, plan.n1 * q / 100))
    cdf2 = (lambda k: stats.binom.cdf(k, m, q / 100)) if dist == "b" else (lambda k: stats.poisson.cdf(k, m * q / 100))
    pa, p_second = 0.0, 0.0
    for d1 in range(plan.re1):
        if d1 <= plan.ac1:
            pa += pmf1(d1)
        else:
            p_second += pmf1(d1)
            pa += pmf1(d1) * cdf2(plan.ac2 - d1)
    return pa, plan.n1 + m * p_second


DOUBLES = [DoubleSamplingPlan(2, 0, 2, 4, 1, 2), DoubleSamplingPlan(80, 3, 6, 160, 9, 10),
           DoubleSamplingPlan(125, 1, 3, 250, 4, 5), DoubleSamplingPlan(13, 11, 16, 26, 26, 27),
           DoubleSamplingPlan(200, 3, 7, 400, 11, 12)]


@pytest.mark.parametrize("plan", DOUBLES, ids=str)
@pytest.mark.parametrize("q", [0.0, 0.1, 1.0, 2.5, 4.0, 15.0])
def test_double_pa_and_asn_equal_enumeration(plan, q):
    for measure, dist in (("percent_nonconforming", "b"), ("nonconformities_per_100", "p")):
        pa, asn = _double_by_enumeration(plan, q, dist)
        assert probability_of_acceptance(plan, q, measure) == pytest.approx(pa, abs=1e-12)
        assert average_sample_number(plan, q, measure) == pytest.approx(asn, abs=1e-9)


def test_asn_of_a_double_plan_lies_between_n1_and_n2_and_single_asn_is_n():
    plan = DoubleSamplingPlan(80, 3, 6, 160, 9, 10)
    asn = average_sample_number(plan, np.linspace(0, 20, 41))
    assert np.all(asn >= 80) and np.all(asn <= 160) and asn[0] == 80
    assert average_sample_number(SingleSamplingPlan(125, 3, 4), 2.0) == 125


@pytest.mark.parametrize("plan", PLANS[:4] + DOUBLES[1:3], ids=str)
@pytest.mark.parametrize("pa", [0.95, 0.50, 0.10, 0.05])
def test_quality_at_probability_inverts_the_oc_curve(plan, pa):
    for measure in ("percent_nonconforming", "nonconformities_per_100"):
        q = quality_at_probability(plan, pa, measure)
        assert probability_of_acceptance(plan, q, measure) == pytest.approx(pa, abs=1e-9)


@pytest.mark.parametrize("plan", PLANS[:4], ids=str)
def test_risk_points_of_single_plans_match_closed_forms(plan):
    # P(X <= c) = I_{1-p}(n - c, c + 1) (binomial) and = Q(c + 1, mu) (Poisson): inverted with SciPy.
    for pa in (0.95, 0.10):
        p = 1 - special.betaincinv(plan.n - plan.ac, plan.ac + 1, pa)
        assert quality_at_probability(plan, pa) == pytest.approx(100 * p, rel=1e-8)
        mu = special.gammainccinv(plan.ac + 1, pa)
        assert quality_at_probability(plan, pa, "nonconformities_per_100") == pytest.approx(100 * mu / plan.n, rel=1e-8)


@pytest.mark.parametrize("n", [2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250])
def test_consumer_risk_quality_of_acceptance_number_zero_plans(n):
    # Ac = 0: Pa = (1 - p)^n, so the quality accepted 10 % of the time is 1 - 0.1^(1/n).
    assert quality_at_probability(SingleSamplingPlan(n, 0, 1), 0.10) == pytest.approx(100 * (1 - 0.1 ** (1 / n)),
                                                                                       rel=1e-9)


@pytest.mark.parametrize("n", [5, 20, 80, 315])
def test_aoql_of_acceptance_number_zero_plans_matches_the_closed_form(n):
    # AOQ = p (1 - p)^n is largest at p = 1/(n + 1); Poisson: (mu/n) e^-mu is largest at mu = 1.
    aoql, at = average_outgoing_quality_limit(SingleSamplingPlan(n, 0, 1))
    assert aoql == pytest.approx(100 / (n + 1) * (n / (n + 1)) ** n, rel=1e-7)
    assert at == pytest.approx(100 / (n + 1), rel=1e-4)
    aoql_p, at_p = average_outgoing_quality_limit(SingleSamplingPlan(n, 0, 1), "nonconformities_per_100")
    assert aoql_p == pytest.approx(100 / (n * math.e), rel=1e-7) and at_p == pytest.approx(100 / n, rel=1e-4)


def test_aoq_with_a_lot_size_discounts_the_sample_and_aoql_scales_with_it():
    plan = SingleSamplingPlan(125, 3, 4)
    q = 2.0
    assert average_outgoing_quality(plan, q, lot_size=2000) == pytest.approx(
        q * stats.binom.cdf(3, 125, 0.02) * (2000 - 125) / 2000)
    aoql, _ = average_outgoing_quality_limit(plan)
    aoql_lot, _ = average_outgoing_quality_limit(plan, lot_size=5000)
    assert aoql_lot == pytest.approx(aoql * (1 - 125 / 5000), rel=1e-7)


def test_double_aoq_removes_the_items_of_the_sample_that_decided():
    plan = DoubleSamplingPlan(80, 3, 6, 160, 9, 10)
    q, lot = 3.0, 2000
    p = q / 100
    first = stats.binom.cdf(3, 80, p)
    second = sum(stats.binom.pmf(k, 80, p) * stats.binom.cdf(9 - k, 80, p) for k in range(4, 6))
    assert average_outgoing_quality(plan, q, lot_size=lot) == pytest.approx(
        q * (first * (lot - 80) + second * (lot - 160)) / lot)


def test_plan_quality_summarises_the_risk_points_of_a_table_plan():
    plan = lookup_plan(1000, "II", "1.0").plan  # J: 80, 2/3
    pq = plan_quality(plan, aql=1.0)
    assert pq.pa_at_aql == pytest.approx(stats.binom.cdf(2, 80, 0.01))
    assert pq.producer_risk == pytest.approx(1 - pq.pa_at_aql)
    assert pq.pa_at_aql > 0.95 and pq.quality_95 > 1.0  # Pa(AQL) above 95 %: the 95 % point lies beyond
    assert pq.quality_95 < pq.quality_50 < pq.quality_10 < pq.quality_05
    assert pq.asn_at_aql == 80
    assert set(pq.to_dict()) >= {"aoql", "quality_10", "producer_risk"}


def test_oc_curve_runs_from_certain_acceptance_down_to_a_tenth_of_a_percent():
    curve = oc_curve(SingleSamplingPlan(50, 1, 2), points=21, lot_size=1000)
    assert curve.pa[0] == 1.0 and curve.pa[-1] == pytest.approx(0.001, abs=1e-9)
    assert np.all(np.diff(curve.pa) <= 0) and len(curve.to_dict()["points"]) == 21


def test_a_sample_that_is_a_large_part_of_the_lot_warns_about_the_type_b_approximation():
    with pytest.warns(AcceptanceSamplingWarning, match="hypergeometric"):
        average_outgoing_quality(SingleSamplingPlan(50, 1, 2), 1.0, lot_size=100)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        average_outgoing_quality(SingleSamplingPlan(50, 1, 2), 1.0, lot_size=10_000)
    assert [w for w in caught if issubclass(w.category, AcceptanceSamplingWarning)] == []


@pytest.mark.parametrize(("call", "field"), [
    (lambda: probability_of_acceptance(SingleSamplingPlan(5, 0, 1), -1), "quality"),
    (lambda: probability_of_acceptance(SingleSamplingPlan(5, 0, 1), 120), "quality"),
    (lambda: probability_of_acceptance(SingleSamplingPlan(5, 0, 1), 1, "ppm"), "measure"),
    (lambda: quality_at_probability(SingleSamplingPlan(5, 0, 1), 1.5), "probability"),
    (lambda: plan_quality(SingleSamplingPlan(5, 21, 22), aql=25), "measure"),
    (lambda: average_outgoing_quality(SingleSamplingPlan(50, 1, 2), 1, lot_size=10), "lot_size"),
    (lambda: SingleSamplingPlan(10, 2, 2), "ac"),
    (lambda: DoubleSamplingPlan(10, 0, 2, 10, 1, 2), "n2"),
])
def test_bad_inputs_name_the_parameter(call, field):
    with pytest.raises(AcceptanceParameterError) as err:
        call()
    assert err.value.field == field
