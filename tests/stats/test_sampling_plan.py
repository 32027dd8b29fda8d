"""Risk-weighted πps sampling: inclusion probabilities, the seeded systematic draw, strata.

References: Tillé (2006) *Sampling Algorithms*, §2.10 (inclusion probabilities proportional to
size with capping at 1) and §7.2 (randomised systematic sampling, Madow 1949; Goodman & Kish
1950); sampling ratios per grade from ``reference/credit_risk_grades.csv`` (Lindian 2024).
"""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pytest

from lingqu.stats.grading import DEFAULT_POLICY
from lingqu.stats.sampling_plan import (
    SamplingPlanParameterError,
    allocate,
    draw_plan,
    inclusion_probabilities,
    ratio_weight,
    systematic_draw,
)


def test_grade_weights_are_the_midpoints_of_the_published_sampling_ratios():
    # the copy of ../shared/reference/credit_risk_grades.csv that Lingqu ships
    with (resources.files("lingqu") / "data" / "credit_risk_grades.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    published = {r["grade"]: r["lindian_2024_sampling_ratio"] for r in rows}
    # credit_risk_grades.csv: Lindian 2024 A <= 5%, B 5%-20%, C 21%-60%, D 61%-100%
    assert [ratio_weight(published[g]) for g in "ABCD"] == pytest.approx([0.025, 0.125, 0.405, 0.805])
    # Yancheng 2022 A < 3%, B 3%-20%, C 30%-50%, D > 80%: the default policy's (2026.1)
    yancheng = {r["grade"]: r["yancheng_2022_sampling_ratio"] for r in rows}
    assert [ratio_weight(yancheng[g]) for g in "ABCD"] == pytest.approx([0.015, 0.115, 0.40, 0.90])
    assert list(DEFAULT_POLICY.sampling_ratios) == [yancheng[g] for g in "ABCD"]
    assert ratio_weight("> 80%") == pytest.approx(0.9)


def test_inclusion_probabilities_cap_at_one_and_share_the_rest_in_proportion():
    # hand computation (Tillé 2006 §2.10): n = 2, weights 1,2,3,4,10 -> 10c > 1, so unit 5 is
    # taken with certainty and the remaining 1 is shared in proportion 1:2:3:4 (sum 10)
    pi = inclusion_probabilities([1, 2, 3, 4, 10], 2)
    assert pi == pytest.approx([0.1, 0.2, 0.3, 0.4, 1.0])


def test_inclusion_probabilities_respect_the_floor_and_sum_to_the_budget():
    w = np.array([0.025] * 50 + [0.125] * 30 + [0.405] * 15 + [0.805] * 5)
    pi = inclusion_probabilities(w, 10, floor=0.03)
    assert pi.sum() == pytest.approx(10)
    assert pi.min() >= 0.03 - 1e-12 and pi.max() <= 1
    # A units sit at the floor; the others keep their ratios to each other (0.125 : 0.405 : 0.805)
    assert pi[:50] == pytest.approx(0.03)
    assert pi[80] / pi[50] == pytest.approx(0.405 / 0.125)
    assert pi[95] / pi[50] == pytest.approx(0.805 / 0.125)


def test_a_floor_above_the_budget_is_refused_naming_the_parameter():
    with pytest.raises(SamplingPlanParameterError) as e:
        inclusion_probabilities(np.ones(100), 5, floor=0.1)
    assert e.value.field == "floor"


def test_systematic_draw_has_fixed_size_and_realised_frequencies_match_pi():
    rng = np.random.Generator(np.random.PCG64(20250101))
    w = rng.gamma(0.7, size=40)
    pi = inclusion_probabilities(w, 8, floor=0.02)
    reps = 20_000
    hits = np.zeros(pi.size)
    for _ in range(reps):
        s = systematic_draw(pi, rng)
        assert s.size == 8
        hits[s] += 1
    freq = hits / reps
    se = np.sqrt(pi * (1 - pi) / reps)
    # every unit within 4.5 standard errors (40 units: a false alarm has probability < 3e-4)
    assert np.all(np.abs(freq - pi) <= 4.5 * se + 1e-9)


def test_same_seed_same_list_and_another_seed_another_list():
    rng = np.random.Generator(np.random.PCG64(3))
    w = rng.choice([0.025, 0.125, 0.405, 0.805], size=300)
    p = rng.uniform(0.05, 0.6, size=300)
    a = draw_plan(w, p, 30, seed=42, floor=0.02)
    b = draw_plan(w, p, 30, seed=42, floor=0.02)
    c = draw_plan(w, p, 30, seed=43, floor=0.02)
    assert a.selected.tolist() == b.selected.tolist()
    assert a.selected.tolist() != c.selected.tolist()
    assert a.selected.size == 30
    # expected failures: sum of pi * p, against budget * mean(p) for a uniform draw
    assert a.expected_failures == pytest.approx(float(a.pi @ p))
    assert a.expected_failures_uniform == pytest.approx(30 * p.mean())


def test_proportional_allocation_by_largest_remainder():
    # 10 over strata of 50, 30, 20 -> 5, 3, 2 exactly; 7 over 5, 3, 2 -> 3.5, 2.1, 1.4 -> 4, 2, 1
    assert allocate(10, [50, 30, 20]).tolist() == [5, 3, 2]
    assert allocate(7, [5, 3, 2]).tolist() == [4, 2, 1]


def test_stratified_draw_takes_each_district_its_allocation():
    labels = np.array(["南山区"] * 60 + ["宝安区"] * 30 + ["福田区"] * 10)
    w = np.tile([0.025, 0.125, 0.405, 0.805], 25)
    p = np.tile([0.05, 0.15, 0.35, 0.6], 25)
    plan = draw_plan(w, p, 20, seed=5, floor=0.02, strata=labels)
    got = {d: int((labels[plan.selected] == d).sum()) for d in ("南山区", "宝安区", "福田区")}
    assert got == {"南山区": 12, "宝安区": 6, "福田区": 2}
    for d, n in got.items():
        assert plan.pi[labels == d].sum() == pytest.approx(n)
    assert plan.pi.min() >= 0.02 - 1e-12
