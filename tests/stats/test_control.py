"""Control charts of lingqu.stats.control against published values and independent computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from lingqu.exceptions import ValidationError
from lingqu.stats.control import (
    BernoulliCusum, CusumState, cusum_arl_markov, cusum_threshold, cusum_update, cusum_weights,
    ewma_arl_markov, ewma_arl_simulation, ewma_limit, normal_cusum_arl_siegmund, normal_cusum_arl_two_sided,
    poisson_surge, run_length_simulation, shrunk_rate,
)


def test_siegmund_formula_matches_its_independent_evaluation():
    # Siegmund (1985): ARL = (exp(-2*D*b) + 2*D*b - 1) / (2*D^2), D = shift - k, b = h + 1.166.
    d, b = 0.0 - 0.5, 5 + 1.166
    assert normal_cusum_arl_siegmund(0.5, 5) == pytest.approx((math.exp(-2 * d * b) + 2 * d * b - 1) / (2 * d * d))
    assert normal_cusum_arl_siegmund(0.5, 5) == pytest.approx(938.2, abs=0.1)
    assert normal_cusum_arl_siegmund(0.5, 4, shift=0.5) == pytest.approx(5.166 ** 2)


@pytest.mark.parametrize(("h", "shift", "published"), [
    # Montgomery, Introduction to Statistical Quality Control (6th ed.), Table 9.3: two-sided tabular
    # CUSUM with k = 1/2: h = 4 -> ARL 168 (in control), 8.38 (1 sigma); h = 5 -> 465, 10.4.
    (4, 0.0, 168), (4, 1.0, 8.38), (5, 0.0, 465), (5, 1.0, 10.4),
])
def test_two_sided_normal_cusum_arl_matches_montgomery_table_9_3(h, shift, published):
    assert normal_cusum_arl_two_sided(0.5, h, shift) == pytest.approx(published, rel=0.02)


def test_steiner_weights_are_the_log_likelihood_ratio():
    # independent: log of binomial likelihood ratio with odds multiplied by R (Steiner et al. 2000, eq. 2)
    p, r = 0.2, 2.0
    p1 = r * p / (1 - p + r * p)
    w = cusum_weights([1, 0], [p, p], r)
    assert w[0] == pytest.approx(math.log(p1 / p))
    assert w[1] == pytest.approx(math.log((1 - p1) / (1 - p)))


def test_cusum_update_is_resumable_in_pieces():
    rng = np.random.default_rng(4)
    w = cusum_weights(rng.random(300) < 0.35, np.full(300, 0.25), 2.0)
    whole = cusum_update(CusumState(), w, 2.0)
    first = cusum_update(CusumState(), w[:120], 2.0)
    second = cusum_update(first.state, w[120:], 2.0)
    assert np.allclose(np.concatenate([first.path, second.path]), whole.path)
    assert second.state == whole.state and whole.state.signals > 0


# (100, 0.3, 3.0) and (100, 0.25, 3.0): the enterprise chart of the alert scan (odds ratio 3, ARL0 100)
@pytest.mark.parametrize(("arl0", "p0", "r"), [(100, 0.3, 2.0), (100, 0.3, 3.0), (100, 0.25, 3.0), (200, 0.05, 2.0),
                                               (500, 0.02, 3.0)])
def test_bernoulli_cusum_threshold_gives_the_chosen_in_control_run_length(arl0, p0, r):
    h = cusum_threshold(arl0, p0, r)
    simulated = run_length_simulation(h, p0, r, replications=3000, seed=11).mean()
    # DESIGN bar: the measured in-control run length within 15 % of the chosen one
    assert simulated == pytest.approx(arl0, rel=0.15), (h, simulated)
    assert cusum_arl_markov(h, p0, r) == pytest.approx(simulated, rel=0.15)


def test_bernoulli_cusum_detects_a_doubling_of_the_odds_much_faster():
    h = cusum_threshold(200, 0.05, 2.0)
    p1 = 2 * 0.05 / (1 - 0.05 + 2 * 0.05)
    out_of_control = run_length_simulation(h, p1, 2.0, p_design=0.05, replications=2000, seed=3).mean()
    assert out_of_control < 200 / 3
    assert cusum_arl_markov(h, p1, 2.0, p_design=0.05) == pytest.approx(out_of_control, rel=0.15)


def test_bernoulli_cusum_estimator_shape():
    chart = BernoulliCusum(odds_ratio=2, arl0=100, p0=0.3).fit([1] * 10, [0.3] * 10)
    assert chart is not None and chart.threshold_ > 0 and len(chart.path_) == 10 and chart.signals_.size >= 1


def test_ewma_normal_run_length_matches_lucas_and_saccucci():
    # Lucas & Saccucci (1990), Technometrics 32(1), Table 3: lambda = 0.10, L = 2.814 -> ARL0 = 500,
    # ARL(1 sigma shift) = 10.3 (reproduced in Montgomery, 6th ed., Table 9.11).
    arl0 = ewma_arl_simulation(0.10, 2.814, two_sided=True, replications=3000, seed=7).mean()
    arl1 = ewma_arl_simulation(0.10, 2.814, shift=1.0, two_sided=True, replications=3000, seed=7).mean()
    assert arl0 == pytest.approx(500, rel=0.07)
    assert arl1 == pytest.approx(10.3, rel=0.05)


@pytest.mark.parametrize(("arl0", "lam", "p"), [(200, 0.2, 0.3), (2000, 0.2, 0.05)])
def test_ewma_limit_for_bernoulli_residuals_gives_the_chosen_run_length(arl0, lam, p):
    limit = ewma_limit(arl0, lam, p)
    simulated = ewma_arl_simulation(lam, limit, p=p, replications=3000, seed=5).mean()
    assert simulated == pytest.approx(arl0, rel=0.15)
    assert ewma_arl_markov(lam, limit, p) == pytest.approx(simulated, rel=0.15)


def test_poisson_surge_tail_probability_matches_scipy():
    t = poisson_surge(6, 1.2, alpha=0.01)
    assert t.p_value == pytest.approx(sps.poisson.sf(5, 1.2)) and t.surge
    assert not poisson_surge(1, 0.001, alpha=0.01).surge  # below the minimum count
    assert shrunk_rate(0, 0, 0.05) == pytest.approx(0.05)
    assert shrunk_rate(12, 12, 0.05, prior_exposure=12) == pytest.approx((0.6 + 12) / 24)


@pytest.mark.parametrize(("call", "field"), [
    (lambda: cusum_threshold(0.5, 0.1, 2), "arl0"),
    (lambda: cusum_threshold(100, 1.5, 2), "p0"),
    (lambda: cusum_threshold(100, 0.1, 1.0), "odds_ratio"),
    (lambda: ewma_limit(100, 1.5, 0.1), "lam"),
    (lambda: cusum_threshold(100, 0.1, 2, method="guess"), "method"),
])
def test_bad_parameters_are_named(call, field):
    with pytest.raises(ValidationError) as e:
        call()
    assert e.value.field == field
