"""Evaluation metrics against published values and independent computations (sources beside each number)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from lingqu.stats import evaluation as ev

# Hanley & McNeil (1982), "The meaning and use of the area under a receiver operating
# characteristic (ROC) curve", Radiology 143:29-36, Table 1: CT images of 109 patients rated
# 1 (definitely normal) .. 5 (definitely abnormal); 58 normal, 51 abnormal.
HM_NORMAL = np.repeat([1, 2, 3, 4, 5], [33, 6, 6, 11, 2])
HM_ABNORMAL = np.repeat([1, 2, 3, 4, 5], [3, 2, 2, 11, 33])


def _hm():
    y = np.r_[np.zeros(HM_NORMAL.size), np.ones(HM_ABNORMAL.size)]
    return y, np.r_[HM_NORMAL, HM_ABNORMAL].astype(float)


def test_auc_of_hanley_mcneil_ct_ratings_is_0_893_with_se_0_032():
    y, s = _hm()
    auc = ev.roc_auc(y, s)
    assert round(auc, 3) == 0.893  # Hanley & McNeil 1982: W = 0.893
    assert round(ev.auc_standard_error(auc, 51, 58), 3) == 0.032  # ibid.: SE(W) = 0.032


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_equals_scipy_mann_whitney_u_over_n1_n0_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(300) < 0.3).astype(float)
    s = np.round(rng.normal(size=300) + y, 1)  # rounding makes many ties
    u = stats.mannwhitneyu(s[y == 1], s[y == 0]).statistic  # SciPy: U of the first sample
    assert ev.roc_auc(y, s) == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()), abs=1e-12)


def test_auc_counts_a_tie_one_half_and_perfect_ranking_one():
    assert ev.roc_auc([1, 0], [0.5, 0.5]) == 0.5
    assert ev.roc_auc([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1]) == 1.0
    assert ev.roc_auc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]) == 0.0


def test_auc_with_one_class_is_nan_with_a_warning():
    with pytest.warns(ev.EvaluationWarning):
        assert math.isnan(ev.roc_auc([1, 1], [0.2, 0.4]))


def test_brier_score_by_hand():
    # ((0.9-1)² + (0.2-0)² + (0.6-1)² + (0.5-0)²) / 4 = (0.01 + 0.04 + 0.16 + 0.25) / 4 = 0.115
    assert ev.brier_score([1, 0, 1, 0], [0.9, 0.2, 0.6, 0.5]) == pytest.approx(0.115, abs=1e-15)
    assert ev.brier_score([1, 0], [0.5, 0.5]) == 0.25  # a coin at 0.5 (Brier 1950)


def test_calibration_table_uniform_bins_by_hand():
    y = [0, 1, 0, 1, 1, 1]
    p = [0.05, 0.15, 0.55, 0.65, 0.95, 0.85]
    table = ev.calibration_table(y, p, bins=2, strategy="uniform")
    assert [(b.n, b.positives) for b in table] == [(2, 1), (4, 3)]
    assert table[0].mean_predicted == pytest.approx(0.10)
    assert table[0].observed_rate == 0.5
    assert table[1].mean_predicted == pytest.approx(0.75)
    assert table[1].observed_rate == 0.75
    # ECE = 2/6·|0.5 − 0.10| + 4/6·|0.75 − 0.75| = 0.1333…
    assert ev.expected_calibration_error(y, p, bins=2, strategy="uniform") == pytest.approx(0.4 / 3)


def test_calibration_table_quantile_bins_have_equal_counts():
    rng = np.random.default_rng(4)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(int)
    table = ev.calibration_table(y, p, bins=10)
    assert [b.n for b in table] == [100] * 10
    assert sum(b.positives for b in table) == y.sum()
    # well calibrated by construction: every bin's observed rate near its mean prediction
    assert max(abs(b.observed_rate - b.mean_predicted) for b in table) < 0.15


def test_hit_rate_by_grade_lists_every_grade():
    bands = ev.hit_rate_by_grade([1, 0, 1, 1, 0], ["A", "A", "C", "C", "D"], [0.1, 0.05, 0.4, 0.3, 0.6])
    assert [(b.grade, b.n, b.positives) for b in bands] == [("A", 2, 1), ("B", 0, 0), ("C", 2, 2), ("D", 1, 0)]
    assert bands[0].hit_rate == 0.5 and math.isnan(bands[1].hit_rate)
    assert bands[2].mean_predicted == pytest.approx(0.35)


def _top_half_by_enumeration(y, s):
    """Independent computation: average, over every tie-breaking order, the positives among the
    first n/2 positions (the middle position of an odd n counting one half)."""
    y, s = np.asarray(y, float), np.asarray(s, float)
    n = y.size
    weights = np.clip(n / 2 - np.arange(n), 0, 1)
    shares = []
    for perm in itertools.permutations(range(n)):
        order = sorted(perm, key=lambda i: -s[i])  # stable sort keeps the permutation inside ties
        shares.append(float((y[order] * weights).sum() / y.sum()))
    return float(np.mean(shares))


@pytest.mark.parametrize("y,s", [
    ([1, 0, 1, 0], [0.9, 0.8, 0.1, 0.2]),
    ([1, 0, 1, 0, 1], [0.5, 0.5, 0.5, 0.2, 0.9]),
    ([0, 1, 0], [3, 2, 1]),
    ([1, 1, 0, 0, 0, 1], [1, 1, 1, 1, 1, 1]),
])
def test_top_half_share_matches_enumeration_over_tie_orders(y, s):
    assert ev.share_of_positives_in_top_half(y, s) == pytest.approx(_top_half_by_enumeration(y, s), abs=1e-12)


def test_top_half_share_by_hand():
    assert ev.share_of_positives_in_top_half([1, 0, 1, 0], [0.9, 0.8, 0.1, 0.2]) == 0.5
    assert ev.share_of_positives_in_top_half([1, 1, 0, 0], [0.9, 0.8, 0.1, 0.2]) == 1.0


@pytest.mark.parametrize("call,field", [
    (lambda: ev.roc_auc([0, 2], [0.1, 0.2]), "y"),
    (lambda: ev.roc_auc([0, 1], [0.1]), "score"),
    (lambda: ev.brier_score([0, 1], [0.1, 1.2]), "probability"),
    (lambda: ev.calibration_table([0, 1], [0.1, 0.2], bins=0), "bins"),
    (lambda: ev.calibration_table([0, 1], [0.1, 0.2], strategy="deciles"), "strategy"),
    (lambda: ev.hit_rate_by_grade([0, 1], ["A", "E"]), "grades"),
    (lambda: ev.auc_standard_error(1.5, 3, 3), "auc"),
])
def test_bad_parameters_are_named(call, field):
    with pytest.raises(ev.EvaluationParameterError) as e:
        call()
    assert e.value.field == field and field in e.value.message
