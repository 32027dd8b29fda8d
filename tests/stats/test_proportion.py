"""Confidence intervals for a proportion, checked against published values.

Sources (cited again beside each number):
- [N98] Newcombe RG (1998). Two-sided confidence intervals for the single proportion: comparison of
  seven methods. Statistics in Medicine 17:857-872, Table I (illustrative 95 % intervals for 81/263,
  15/148, 0/20 and 1/29): method 3 = Wilson score without continuity correction, method 5 = exact
  (Clopper-Pearson). Printed to 4 decimals. R ``binom::binom.confint(x, n, methods = "wilson")``
  prints the same Wilson limits.
- [Rbt] R ``stats::binom.test`` (Clopper-Pearson), printed output: the ``?binom.test`` example
  ``binom.test(c(682, 243), p = 3/4)`` → 95 percent confidence interval 0.7076683 0.7654066;
  ``binom.test(9, 24, 1/6)`` → 0.1879929 0.5940636; ``binom.test(1, 1497, 0.0033, conf.level = 0.9)``
  → 3.426347e-05 3.164954e-03 (printed to 7 significant digits).
- [SM] statsmodels ``proportion_confint(count, nobs, alpha, method="wilson")``
  (statsmodels/stats/proportion.py): ``crit = norm.isf(alpha/2); denom = 1 + crit²/nobs;
  center = (q + crit²/(2 nobs))/denom; dist = crit·sqrt(q(1-q)/nobs + crit²/(4 nobs²))/denom``.
  Reproduced below independently with scipy.stats.norm (statsmodels is not a dependency); our
  implementation uses the algebraically different (x + z²/2)/(n + z²) form.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.stats import norm

from lingqu.exceptions import ValidationError
from lingqu.stats.proportion import (
    Interval,
    ProportionParameterError,
    ProportionWarning,
    clopper_pearson,
    clopper_pearson_intervals,
    wilson_interval,
    wilson_intervals,
)

# [N98] Table I, method 3 (Wilson score, no continuity correction): (x, n, lower, upper)
NEWCOMBE_WILSON = [
    (81, 263, 0.2553, 0.3662),  # [N98] Table I, 81/263
    (15, 148, 0.0624, 0.1605),  # [N98] Table I, 15/148
    (0, 20, 0.0000, 0.1611),    # [N98] Table I, 0/20
    (1, 29, 0.0061, 0.1718),    # [N98] Table I, 1/29
]

# [N98] Table I, method 5 (exact, Clopper-Pearson): (x, n, lower, upper)
NEWCOMBE_EXACT = [
    (81, 263, 0.2527, 0.3676),  # [N98] Table I, 81/263
    (15, 148, 0.0578, 0.1617),  # [N98] Table I, 15/148
    (0, 20, 0.0000, 0.1684),    # [N98] Table I, 0/20
    (1, 29, 0.0009, 0.1776),    # [N98] Table I, 1/29
]

# [Rbt] R binom.test printed output: (x, n, confidence, lower, upper)
R_BINOM_TEST = [
    (682, 925, 0.95, 0.7076683, 0.7654066),       # [Rbt] ?binom.test example, binom.test(c(682, 243), p = 3/4)
    (9, 24, 0.95, 0.1879929, 0.5940636),          # [Rbt] binom.test(9, 24, 1/6)
    (1, 1497, 0.90, 3.426347e-05, 3.164954e-03),  # [Rbt] binom.test(1, 1497, 0.0033, conf.level = 0.9)
]


def _statsmodels_wilson(count, nobs, alpha=0.05):
    """[SM] statsmodels' Wilson formula, transcribed term by term (see the module docstring)."""
    q = count / nobs
    crit = norm.isf(alpha / 2.0)
    crit2 = crit**2
    denom = 1 + crit2 / nobs
    center = (q + crit2 / (2 * nobs)) / denom
    dist = crit * np.sqrt(q * (1.0 - q) / nobs + crit2 / (4.0 * nobs**2)) / denom
    return center - dist, center + dist


# --- published values -------------------------------------------------------------------------------

@pytest.mark.parametrize(("x", "n", "lower", "upper"), NEWCOMBE_WILSON)
def test_wilson_matches_newcombe_1998_table_1(x, n, lower, upper):
    ci = wilson_interval(x, n)
    assert round(ci.lower, 4) == pytest.approx(lower, abs=1e-12)
    assert round(ci.upper, 4) == pytest.approx(upper, abs=1e-12)
    assert ci.estimate == pytest.approx(x / n)
    assert (ci.n, ci.successes, ci.confidence, ci.method) == (n, x, 0.95, "wilson")


@pytest.mark.parametrize(("x", "n", "lower", "upper"), NEWCOMBE_EXACT)
def test_clopper_pearson_matches_newcombe_1998_table_1(x, n, lower, upper):
    ci = clopper_pearson(x, n)
    assert round(ci.lower, 4) == pytest.approx(lower, abs=1e-12)
    assert round(ci.upper, 4) == pytest.approx(upper, abs=1e-12)
    assert ci.method == "clopper-pearson"


@pytest.mark.parametrize(("x", "n", "confidence", "lower", "upper"), R_BINOM_TEST)
def test_clopper_pearson_matches_r_binom_test(x, n, confidence, lower, upper):
    ci = clopper_pearson(x, n, confidence)
    # R prints 7 significant digits
    assert ci.lower == pytest.approx(lower, rel=1e-6)
    assert ci.upper == pytest.approx(upper, rel=1e-6)


def test_wilson_matches_statsmodels_formula_over_a_grid_and_levels():
    ns = np.array([1, 2, 5, 10, 17, 50, 263, 1000, 123457])
    for confidence in (0.80, 0.90, 0.95, 0.99, 0.999):
        for n in ns:
            xs = np.unique(np.linspace(0, n, num=min(n + 1, 41)).round().astype(int))
            ours = wilson_intervals(xs, n, confidence)
            lo, hi = _statsmodels_wilson(xs.astype(float), float(n), alpha=1 - confidence)
            np.testing.assert_allclose(ours.lower, np.clip(lo, 0, 1), rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(ours.upper, np.clip(hi, 0, 1), rtol=1e-10, atol=1e-12)


def test_wilson_equals_the_set_not_rejected_by_the_score_test():
    """Definition check: at each bound p, the score statistic (p̂ − p)/√(p(1−p)/n) equals ±z."""
    z = norm.ppf(0.975)
    for x, n in [(81, 263), (15, 148), (1, 29), (9, 10)]:
        ci = wilson_interval(x, n)
        for p, sign in ((ci.lower, 1), (ci.upper, -1)):
            assert (x / n - p) / math.sqrt(p * (1 - p) / n) == pytest.approx(sign * z, rel=1e-9)


# --- behaviour --------------------------------------------------------------------------------------

def test_vectorised_and_scalar_forms_agree():
    x = np.array([0, 3, 9, 10, 81])
    n = np.array([10, 10, 10, 10, 263])
    many = wilson_intervals(x, n)
    assert len(many) == 5
    for i in range(5):
        one = wilson_interval(int(x[i]), int(n[i]))
        assert many[i] == one
    cp = clopper_pearson_intervals(x, n)
    assert cp[4] == clopper_pearson(81, 263)


def test_vectorised_result_is_frozen():
    many = wilson_intervals([1, 2], [4, 4])
    with pytest.raises(ValueError):
        many.lower[0] = 0.5
    with pytest.raises(AttributeError):
        many.method = "wald"  # type: ignore[misc]


def test_all_passed_has_upper_bound_one_and_none_passed_lower_bound_zero():
    assert wilson_interval(20, 20).upper == 1.0
    assert wilson_interval(0, 20).lower == 0.0
    assert clopper_pearson(20, 20).upper == 1.0
    # mirror image of [N98] 0/20: 20/20 has lower bound 1 − 0.1611
    assert round(wilson_interval(20, 20).lower, 4) == pytest.approx(1 - 0.1611)


def test_exact_interval_is_wider_than_wilson_at_small_n():
    for x, n in [(1, 29), (15, 148), (9, 10)]:
        w, e = wilson_interval(x, n), clopper_pearson(x, n)
        assert e.upper - e.lower > w.upper - w.lower


def test_nine_of_ten_straddles_the_ninety_percent_target():
    """9 passed of 10 is exactly 90 %, and the interval (0.5958, 0.9821) says little more."""
    ci = wilson_interval(9, 10)
    assert (round(ci.lower, 4), round(ci.upper, 4)) == (0.5958, 0.9821)
    assert ci.contains(0.9)


def test_empty_sample_gives_nan_and_a_warning():
    with pytest.warns(ProportionWarning, match="n = 0"):
        ci = wilson_interval(0, 0)
    assert math.isnan(ci.estimate) and math.isnan(ci.lower) and math.isnan(ci.upper)
    with pytest.warns(ProportionWarning, match="1 of 3 elements"):
        many = wilson_intervals([0, 1, 2], [0, 2, 4])
    assert math.isnan(many.lower[0]) and many.lower[1] > 0
    with pytest.warns(ProportionWarning):
        assert math.isnan(clopper_pearson(0, 0).upper)


def test_no_warning_when_every_sample_has_observations():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wilson_intervals([0, 5], [5, 5])
    assert [w for w in caught if issubclass(w.category, ProportionWarning)] == []


@pytest.mark.parametrize(
    ("args", "field", "fragment"),
    [
        ((5, -1), "n", "n must be >= 0"),
        ((-1, 5), "successes", "successes must be >= 0"),
        ((6, 5), "successes", "successes must be <= n"),
        ((2.5, 5), "successes", "successes must be a whole number"),
        ((2, 5.5), "n", "n must be a whole number"),
        ((True, 5), "successes", "not a boolean"),
        ((2, 5, 0.0), "confidence", "confidence must be strictly between 0 and 1"),
        ((2, 5, 1.0), "confidence", "confidence must be strictly between 0 and 1"),
        ((2, 5, 95), "confidence", "confidence must be strictly between 0 and 1"),
        ((2, float("nan")), "n", "n must be a whole number"),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter(args, field, fragment):
    for fn in (wilson_interval, clopper_pearson):
        with pytest.raises(ProportionParameterError, match=fragment) as e:
            fn(*args)
        assert e.value.field == field
        assert isinstance(e.value, ValueError) and isinstance(e.value, ValidationError)


def test_arrays_are_checked_element_wise_and_for_shape():
    with pytest.raises(ProportionParameterError, match="successes must be <= n"):
        wilson_intervals([1, 5], [4, 4])
    with pytest.raises(ProportionParameterError, match="same shape"):
        wilson_intervals([1, 2, 3], [4, 4])
    with pytest.raises(ProportionParameterError, match="use wilson_intervals"):
        wilson_interval([1, 2], [4, 4])  # type: ignore[arg-type]


def test_interval_is_a_frozen_dataclass():
    ci = wilson_interval(3, 4)
    assert isinstance(ci, Interval)
    with pytest.raises(AttributeError):
        ci.lower = 0.0  # type: ignore[misc]
