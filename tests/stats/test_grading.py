"""Risk-grading pieces against published values and independent computations (sources beside each number)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, stats

import lingqu
from lingqu.stats import grading as gr

# Dalal, Fowlkes & Hoadley (1989), "Risk analysis of the space shuttle: pre-Challenger prediction
# of failure", JASA 84:945-957, Table 1: launch temperature (°F) and O-ring thermal distress
# (1 = at least one incident) for the 23 flights before Challenger. The maximum-likelihood
# logistic fit is logit p = 15.0429 − 0.2322·t (the binary-response fit reported in the paper's
# discussion and reproduced by R: glm(distress ~ temp, family = binomial)).
TEMP = np.array([66, 70, 69, 68, 67, 72, 73, 70, 57, 63, 70, 78, 67, 53, 67, 75, 70, 81, 76, 79, 75, 76, 58.0])
DISTRESS = np.array([0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1.0])


# --- empirical Bayes ------------------------------------------------------------------------------

def _beta_binomial_counts(seed=0, groups=800, a=2.0, b=8.0):
    rng = np.random.default_rng(seed)
    n = rng.integers(1, 30, groups)
    return rng.binomial(n, rng.beta(a, b, groups)), n


def test_marginal_likelihood_prior_matches_scipy_betabinom_maximisation():
    k, n = _beta_binomial_counts()
    fit = gr.BetaBinomialShrinkage().fit(k, n)
    # independent computation: maximise SciPy's beta-binomial log-pmf over (log α, log β) by BFGS
    res = optimize.minimize(lambda t: -stats.betabinom.logpmf(k, n, math.exp(t[0]), math.exp(t[1])).sum(),
                            [0.0, 0.0], method="BFGS", options={"gtol": 1e-8})
    assert fit.method_ == "marginal-likelihood"
    assert fit.alpha_ == pytest.approx(math.exp(res.x[0]), rel=1e-4)
    assert fit.beta_ == pytest.approx(math.exp(res.x[1]), rel=1e-4)


def test_moment_estimator_by_hand():
    k, n = np.array([1, 4, 2, 8]), np.array([10, 10, 10, 10])
    fit = gr.BetaBinomialShrinkage(method="moments", min_groups=2).fit(k, n)
    p = k / n
    m, v, h = p.mean(), p.var(ddof=1), 0.1  # mean 0.375, variance 0.0958333, mean of 1/n
    rho = (v / (m * (1 - m)) - h) / (1 - h)
    assert fit.prior_mean_ == pytest.approx(0.375)
    assert fit.strength_ == pytest.approx(1 / rho - 1)


def test_one_batch_enterprise_is_pulled_to_its_peers_fifty_batch_one_keeps_its_rate():
    k, n = _beta_binomial_counts()
    fit = gr.BetaBinomialShrinkage().fit(k, n)
    one, fifty = fit.posterior_mean([1, 50], [1, 50])  # both failed every time
    assert one < 0.35  # one failed batch: close to the prior mean (~0.2), not 1.0
    assert fifty > 0.8
    assert fit.posterior_mean(3, 10) == pytest.approx((fit.alpha_ + 3) / (fit.alpha_ + fit.beta_ + 10))


def test_no_overdispersion_gives_complete_pooling():
    rng = np.random.default_rng(3)
    n = np.full(400, 20)
    k = rng.binomial(n, 0.2)  # every entity has the same rate
    fit = gr.BetaBinomialShrinkage().fit(k, n)
    assert fit.strength_ > 500
    assert fit.prior_mean_ == pytest.approx(k.sum() / n.sum(), abs=0.01)


def test_few_entities_fall_back_to_a_weak_pooled_prior_with_a_warning():
    with pytest.warns(gr.GradingWarning, match="min_groups"):
        fit = gr.BetaBinomialShrinkage(min_groups=5, fallback_strength=10).fit([1, 0, 2], [3, 2, 5])
    assert fit.method_ == "fallback"
    assert fit.prior_mean_ == pytest.approx((3 + 0.5) / (10 + 1))
    assert fit.alpha_ + fit.beta_ == pytest.approx(10)


# --- history features -----------------------------------------------------------------------------

def _history_by_brute_force(ent, day, y, k):
    """Independent computation: for each row, look at every other row of its entity."""
    out = []
    for i in range(ent.size):
        m = (ent == ent[i]) & (day < day[i])
        known = m & ~np.isnan(y)
        order = np.flatnonzero(known)[np.argsort(day[known], kind="stable")]
        fails = np.flatnonzero(known & (y == 1))
        out.append((m.sum(), known.sum(), np.nansum(y[known]), y[order][-k:].sum() if order.size else 0,
                    day[i] - day[fails].max() if fails.size else np.nan,
                    day[i] - day[m].max() if m.any() else np.nan))
    return np.array(out, dtype=float)


def test_history_features_match_brute_force_and_never_look_at_the_same_date():
    rng = np.random.default_rng(11)
    n = 600
    ent = rng.integers(0, 25, n)
    day = rng.integers(0, 60, n)  # many same-day inspections of one entity
    y = np.where(rng.random(n) < 0.2, np.nan, (rng.random(n) < 0.3).astype(float))
    h = gr.HistoryFeatures(last_k=3).transform(ent, day, y)
    got = np.column_stack([getattr(h, f) for f in gr.HISTORY_FIELDS])
    want = _history_by_brute_force(ent, day, y, 3)
    # failures_last_k: the brute force orders same-day rows by input order, like the sort does
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(np.nan_to_num(got), np.nan_to_num(want))


def test_history_of_several_outcomes_at_once_equals_each_alone():
    """``transform_many`` sorts once for several outcome columns; each result is the brute force's."""
    rng = np.random.default_rng(12)
    n = 500
    ent = rng.integers(0, 20, n)
    day = rng.integers(0, 50, n)
    ys = [np.where(rng.random(n) < 0.15, np.nan, (rng.random(n) < q).astype(float)) for q in (0.1, 0.4, 0.8)]
    many = gr.HistoryFeatures(last_k=2).transform_many(ent, day, ys)
    assert len(many) == 3
    for y, h in zip(ys, many):
        got = np.column_stack([getattr(h, f) for f in gr.HISTORY_FIELDS])
        want = _history_by_brute_force(ent, day, y, 2)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(np.nan_to_num(got), np.nan_to_num(want))
    assert not np.array_equal(many[0].prior_failures, many[2].prior_failures)
    only = gr.HistoryFeatures(last_k=2).transform_many(ent, day, ys, failures_only=[False, True, True])
    assert isinstance(only[0], gr.History)
    for h, f in zip(many[1:], only[1:]):
        np.testing.assert_array_equal(h.prior_failures, f)


def test_entity_day_order_is_the_lexsort():
    rng = np.random.default_rng(3)
    for ent in (rng.integers(0, 50, 3000), np.sort(rng.integers(0, 50, 3000)), rng.integers(-5, 5, 3000)):
        day = rng.integers(-100, 400, ent.size)  # negative entities take the lexsort fallback
        np.testing.assert_array_equal(gr._entity_day_order(ent, day), np.lexsort((day, ent)))


def test_history_is_the_same_whatever_the_row_order():
    rng = np.random.default_rng(5)
    ent, day = rng.integers(0, 10, 200), rng.integers(0, 400, 200)
    y = (rng.random(200) < 0.3).astype(float)
    h = gr.HistoryFeatures().transform(ent, day, y)
    perm = rng.permutation(200)
    hp = gr.HistoryFeatures().transform(ent[perm], day[perm], y[perm])
    for f in ("prior_inspections", "prior_known", "prior_failures", "days_since_failure", "days_since_previous"):
        np.testing.assert_array_equal(getattr(h, f)[perm], getattr(hp, f))


def test_history_small_example_by_hand():
    h = gr.HistoryFeatures(last_k=2).transform(
        np.array(["e", "e", "e", "e", "f", "e"]), np.array([1, 2, 2, 5, 1, 9]), np.array([1, 0, 1, np.nan, 1, 0]))
    assert h.prior_failures.tolist() == [0, 1, 1, 2, 0, 2]  # the two day-2 rows do not see each other
    assert h.prior_known.tolist() == [0, 1, 1, 3, 0, 3]
    assert h.failures_last_k.tolist() == [0, 1, 1, 1, 0, 1]
    assert np.isnan(h.days_since_failure[[0, 4]]).all() and h.days_since_failure[[1, 3, 5]].tolist() == [1, 3, 7]


# --- design and regression ------------------------------------------------------------------------

def test_encoder_caps_levels_and_maps_rare_unseen_and_missing():
    cat = np.array([[0]] * 10 + [[1]] * 6 + [[2]] * 2 + [[-1]] * 3)
    enc = gr.TabularEncoder(max_levels=5, min_level_count=5).fit(np.zeros((21, 0)), cat,
                                                                 categorical_labels=[["x", "y", "z"]])
    assert enc.level_names_[0] == ("x", "y", "(other)", "(missing)")
    d = enc.transform(np.zeros((4, 0)), np.array([[0], [2], [-1], [7]]))
    assert d.codes[:, 0].tolist() == [0, 2, 3, 2]  # z is rare → other; 7 never seen → other


def test_encoder_standardises_and_adds_missing_indicator():
    x = np.array([[1.0], [3.0], [np.nan], [5.0]])
    enc = gr.TabularEncoder().fit(x, np.zeros((4, 0), dtype=int), numeric_names=["size"])
    d = enc.transform(x, np.zeros((4, 0), dtype=int))
    assert d.dense_names == ("size", "size (missing)")
    np.testing.assert_allclose(d.dense[:, 0], [-math.sqrt(1.5), 0, 0, math.sqrt(1.5)])
    assert d.dense[:, 1].tolist() == [0, 0, 1, 0]


def test_unpenalised_fit_reproduces_the_challenger_o_ring_logistic_regression():
    m = gr.PenalisedLogisticRegression(l2=0.0).fit(TEMP[:, None], DISTRESS)
    assert m.intercept_ == pytest.approx(15.0429, abs=1e-4)  # Dalal, Fowlkes & Hoadley 1989
    assert m.coef_[0] == pytest.approx(-0.2322, abs=1e-4)
    assert m.converged_


def test_penalised_fit_with_level_codes_equals_explicit_one_hot_fit():
    rng = np.random.default_rng(2)
    n = 1500
    design = gr.Design(rng.normal(size=(n, 3)), rng.integers(0, 4, (n, 2)), (4, 4))
    y = (rng.random(n) < 0.3).astype(float)
    m = gr.PenalisedLogisticRegression(l2=2.0).fit(design, y)
    x = design.one_hot()

    def objective(t):  # independent: the same penalised likelihood on the dense one-hot, by BFGS
        eta = t[0] + x @ t[1:]
        return np.sum(np.logaddexp(0, eta) - y * eta) + 1.0 * np.sum(t[1:] ** 2)

    ref = optimize.minimize(objective, np.zeros(1 + x.shape[1]), method="BFGS", options={"gtol": 1e-9}).x
    got = np.r_[m.intercept_, m.coef_, *m.level_coef_]
    np.testing.assert_allclose(got, ref, atol=2e-5)
    np.testing.assert_allclose(m.predict_proba(design), 1 / (1 + np.exp(-(ref[0] + x @ ref[1:]))), atol=1e-6)


# --- calibration ----------------------------------------------------------------------------------

def test_platt_recovers_a_known_logistic_link():
    rng = np.random.default_rng(8)
    s = rng.normal(size=40_000)
    y = (rng.random(s.size) < 1 / (1 + np.exp(-(2.0 * s - 1.0)))).astype(float)
    cal = gr.PlattCalibrator().fit(s, y)
    assert cal.a_ == pytest.approx(2.0, abs=0.06) and cal.b_ == pytest.approx(-1.0, abs=0.05)


def test_platt_without_smoothing_is_the_maximum_likelihood_logistic_fit():
    cal = gr.PlattCalibrator(smooth=False).fit(-TEMP, DISTRESS)  # score = −temperature: a positive slope
    assert (cal.b_, cal.a_) == (pytest.approx(15.0429, abs=1e-3), pytest.approx(0.2322, abs=1e-4))


def test_platt_never_reverses_the_order_of_the_scores():
    cal = gr.PlattCalibrator().fit(TEMP, DISTRESS)  # distress falls with temperature: best slope < 0
    assert cal.a_ == 0.0
    assert cal.predict(50.0) == cal.predict(80.0) == pytest.approx((7 + 1) / (7 + 2) * 7 / 23 + 1 / (16 + 2) * 16 / 23)


def test_pool_adjacent_violators_textbook_example_and_scipy():
    # Barlow et al. (1972) style example: 1 3 2 4 3 5 → 1 2.5 2.5 3.5 3.5 5
    np.testing.assert_allclose(gr.pool_adjacent_violators([1, 3, 2, 4, 3, 5]), [1, 2.5, 2.5, 3.5, 3.5, 5])
    rng = np.random.default_rng(1)
    v, w = rng.normal(size=300).cumsum() * 0.1 + rng.normal(size=300), rng.random(300) + 0.1
    ref = optimize.isotonic_regression(v, weights=w).x  # SciPy's independent implementation
    np.testing.assert_allclose(gr.pool_adjacent_violators(v, w), ref, atol=1e-12)


def test_isotonic_calibrator_is_monotone_and_matches_bin_rates():
    cal = gr.IsotonicCalibrator().fit([0.1, 0.1, 0.2, 0.3, 0.3, 0.4], [0, 0, 1, 0, 1, 1])
    assert cal.predict([0.1, 0.2, 0.3, 0.4]).tolist() == [0.0, pytest.approx(2 / 3), pytest.approx(2 / 3), 1.0]


def test_recalibration_in_the_large_without_prior_is_the_offset_logistic_fit():
    # equal predictions p0: the maximum-likelihood shift is logit(observed rate) - logit(p0) exactly
    y = np.r_[np.ones(30), np.zeros(70)]
    d = gr.recalibration_in_the_large(np.full(100, 0.5), y, prior_sd=1e6)
    assert d == pytest.approx(math.log(0.3 / 0.7), abs=1e-6)
    # varied predictions: the same maximum found by SciPy's scalar minimiser on the log-likelihood
    # of logit P = logit(p) + delta (a GLM with the prediction as offset, as R's glm(y ~ 1 + offset(lp)))
    rng = np.random.default_rng(3)
    p = rng.uniform(0.05, 0.6, 2000)
    yy = (rng.random(p.size) < np.clip(p * 0.8, 0, 1)).astype(float)
    lp = np.log(p / (1 - p))
    nll = lambda v: float(np.sum(np.logaddexp(0, lp + v) - yy * (lp + v)))  # noqa: E731
    ref = optimize.minimize_scalar(nll, bounds=(-3, 3), method="bounded", options={"xatol": 1e-10}).x
    assert gr.recalibration_in_the_large(p, yy, prior_sd=1e6) == pytest.approx(ref, abs=1e-6)
    # with the N(0, sd^2) prior: the penalised maximum, pulled toward 0
    pen = lambda v: nll(v) + v * v / (2 * 0.1**2)  # noqa: E731
    ref_pen = optimize.minimize_scalar(pen, bounds=(-3, 3), method="bounded", options={"xatol": 1e-10}).x
    shrunk = gr.recalibration_in_the_large(p, yy, prior_sd=0.1)
    assert shrunk == pytest.approx(ref_pen, abs=1e-6) and abs(ref_pen) < abs(ref)


def test_risk_model_level_follows_a_market_shift_in_its_last_days_only():
    # 3000 days of inspections at one market level, then the last 120 at a much better one: without
    # the level step the model predicts the long-run rate; with it, the recent one (shrunk slightly)
    rng = np.random.default_rng(5)
    n = 12_000
    ent, day = rng.integers(0, 400, n), np.sort(rng.integers(0, 3120, n))
    y = (rng.random(n) < np.where(day >= 3000, 0.10, 0.30)).astype(float)
    h = gr.HistoryFeatures().transform(ent, day, y)
    plain = gr.RiskModel(l2=10).fit(ent, day, y, h).predict_proba(h)
    levelled = gr.RiskModel(l2=10, level_days=120).fit(ent, day, y, h)
    recent = day >= 3000
    assert plain[recent].mean() > 0.2
    assert levelled.level_shift_ < -0.8
    assert levelled.predict_proba(h)[recent].mean() == pytest.approx(y[recent].mean(), abs=0.03)


# --- the model and the policy ---------------------------------------------------------------------

def test_risk_model_with_too_few_rows_predicts_the_shrunk_rate():
    ent, day, y = np.array([0, 0, 1, 1, 2]), np.array([1, 2, 1, 2, 3]), np.array([1, 0, 0, 0, 1.0])
    h = gr.HistoryFeatures().transform(ent, day, y)
    m = gr.RiskModel(min_train=30).fit(ent, day, y, h)
    assert m.mode_ == "shrinkage"
    np.testing.assert_allclose(m.predict_proba(h), m.prior_.posterior_mean(h.prior_failures, h.prior_known))


def _model_data(n: int, seed: int = 4):
    rng = np.random.default_rng(seed)
    ent = rng.integers(0, n // 8, n)
    day = rng.integers(0, 2000, n)
    x = rng.normal(size=(n, 2))
    cat = rng.integers(-1, 4, (n, 1))
    eta = -1.0 + 0.8 * x[:, 0] - 0.5 * x[:, 1] + 0.3 * (cat[:, 0] == 2)
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return ent, day, y, gr.HistoryFeatures().transform(ent, day, y), x, cat


def test_fit_row_cap_changes_nothing_below_it():
    ent, day, y, h, x, cat = _model_data(4000)
    full = gr.RiskModel().fit(ent, day, y, h, x, cat)
    capped = gr.RiskModel(max_fit_rows=4000).fit(ent, day, y, h, x, cat)
    assert capped.fit_rows_ == full.fit_rows_ and sum(full.fit_rows_.values()) == 4000
    np.testing.assert_array_equal(full.regression_.coef_, capped.regression_.coef_)
    np.testing.assert_array_equal(full.predict_proba(h, x, cat), capped.predict_proba(h, x, cat))


def test_fit_row_cap_fits_on_a_seeded_sample_close_to_the_full_fit():
    ent, day, y, h, x, cat = _model_data(40_000)
    full = gr.RiskModel().fit(ent, day, y, h, x, cat)
    a = gr.RiskModel(max_fit_rows=10_000).fit(ent, day, y, h, x, cat)
    b = gr.RiskModel(max_fit_rows=10_000).fit(ent, day, y, h, x, cat)
    c = gr.RiskModel(max_fit_rows=10_000, fit_seed=1).fit(ent, day, y, h, x, cat)
    assert a.fit_rows_["regression"] == 10_000 and full.fit_rows_["regression"] > 30_000
    assert a.fit_rows_["calibration"] == full.fit_rows_["calibration"]  # below the cap: every held-out row
    np.testing.assert_array_equal(a.regression_.coef_, b.regression_.coef_)  # reproducible
    assert not np.array_equal(a.regression_.coef_, c.regression_.coef_)  # the sample depends on the seed
    assert a.prior_.alpha_ == full.prior_.alpha_  # the prior uses every row
    # the sample's estimates are within sampling error of the full fit's
    assert np.max(np.abs(a.regression_.coef_[:2] - full.regression_.coef_[:2])) < 0.05  # the real effects
    assert np.mean(np.abs(a.predict_proba(h, x, cat) - full.predict_proba(h, x, cat))) < 0.03


def test_policy_maps_probabilities_to_grades_at_the_cut_points():
    policy = gr.GradingPolicy(version="test-1", cut_points=(0.1, 0.25, 0.5))
    got = policy.grade([0.0, 0.0999, 0.1, 0.2499, 0.25, 0.4999, 0.5, 1.0, np.nan])
    assert got.tolist() == ["A", "A", "B", "B", "C", "C", "D", "D", ""]
    assert [r.label_zh for r in policy.rules] == ["低", "一般", "较高", "高"]


def test_default_policy_sampling_follows_the_credit_risk_reference():
    path = Path(lingqu.__file__).parent / "data" / "credit_risk_grades.csv"  # copy of reference/credit_risk_grades.csv
    rows = {r["grade"]: r for r in csv.DictReader(path.open(encoding="utf-8"))}
    for rule in gr.DEFAULT_POLICY.rules:
        # policy 2026.1: Yancheng 2022's ratios (the steepest published), Lindian 2024's frequencies
        assert rule.sampling_ratio == rows[rule.grade]["yancheng_2022_sampling_ratio"]
        assert rule.frequency == rows[rule.grade]["lindian_2024_frequency_per_enterprise"]
    assert gr.DEFAULT_POLICY.version


@pytest.mark.parametrize("call,field", [
    (lambda: gr.GradingPolicy(cut_points=(0.3, 0.2, 0.5)), "cut_points"),
    (lambda: gr.GradingPolicy(version=""), "version"),
    (lambda: gr.BetaBinomialShrinkage(method="mle"), "method"),
    (lambda: gr.BetaBinomialShrinkage().fit([3], [2]), "failures"),
    (lambda: gr.HistoryFeatures(last_k=0), "last_k"),
    (lambda: gr.PenalisedLogisticRegression(l2=-1), "l2"),
    (lambda: gr.PenalisedLogisticRegression().fit(np.ones((2, 1)), [0, 2]), "y"),
    (lambda: gr.RiskModel(calibration="beta"), "calibration"),
    (lambda: gr.RiskModel(level_days=0), "level_days"),
    (lambda: gr.RiskModel(level_prior_sd=0), "level_prior_sd"),
    (lambda: gr.recalibration_in_the_large([0.2, 0.3], [1]), "y"),
    (lambda: gr.RiskModel(max_fit_rows=10), "max_fit_rows"),
    (lambda: gr.TabularEncoder(max_levels=0), "max_levels"),
])
def test_bad_parameters_are_named(call, field):
    with pytest.raises(gr.GradingParameterError) as e:
        call()
    assert e.value.field == field and field in e.value.message
