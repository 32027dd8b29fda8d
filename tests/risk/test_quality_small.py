"""The engine's quality on a few small demo worlds, from their public files only (no database).

The 20-world figures are in docs/benchmarks.md (bench/risk_quality.py); this test keeps the same
measurements honest on three 400-enterprise worlds. It deletes each world's ``truth/`` folder
before grading (after reading the truth for the evaluation), so the engine cannot have read it.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

AS_OF = dt.date(2025, 1, 1)
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    from lingqu.simulate.world import generate_world

    root = tmp_path_factory.mktemp("risk-quality")
    out = []
    for seed in (1, 2, 3):
        w = root / f"w{seed}"
        generate_world(w, seed=seed, enterprises=400)
        out.append(w)
    return out


def test_engine_grades_without_the_truth_and_beats_a_uniform_draw(worlds, tmp_path):
    import risk_quality as rq

    from lingqu.risk.service import grade_frames
    from lingqu.risk.worldfiles import world_frames

    gains, eces, aucs = [], [], []
    for w in worlds:
        public = tmp_path / w.name
        shutil.copytree(w, public)
        shutil.rmtree(public / "truth")  # the engine sees only what a regulator's records hold
        run = grade_frames(world_frames(public, AS_OF), AS_OF)
        plan = rq.plan_figures(run, w, budget=round(len(run.grades) * 100 / 750))  # the bench's share  # the evaluation reads the truth, the engine did not
        cal = rq.calibration_figures(run, w)
        gains.append(plan["gain"])
        eces.append(cal["ece"])
        aucs.append(cal["auc"])
        # the ordering of the diagnosis: ideal top-k >= the policy on the truth >= the policy on the model
        assert plan["oracle_top"] >= plan["oracle_policy"] >= plan["gain"] - 0.05
        assert abs(cal["predicted"] - cal["observed"]) <= 0.07
    print(f"gain {np.round(gains, 2)}, ECE {np.round(eces, 3)}, AUC {np.round(aucs, 3)}")
    # measured here: gain 1.41 / 1.51 / 1.57, ECE 0.062 / 0.067 / 0.069, AUC 0.59 / 0.65 / 0.66 (300 graded
    # enterprises each); 20 x 1000-enterprise worlds: gain 1.52-1.74, ECE 0.024-0.072, AUC 0.64-0.71
    assert min(gains) >= 1.3
    assert max(eces) <= 0.09
    assert min(aucs) >= 0.57


def test_world_frames_refuse_the_truth_folder(worlds):
    from lingqu.risk import worldfiles

    with pytest.raises(ValueError):
        worldfiles._read(worlds[0], "truth/batches.csv")


def test_recency_weighted_sums_use_only_earlier_days():
    from lingqu.risk.features import prior_sums

    ent = np.array([0, 0, 0, 1, 0])
    day = np.array([0, 365, 365, 10, 730])
    y = np.array([1.0, 1.0, 0.0, 1.0, np.nan])
    (s,) = prior_sums(ent, day, [y], half_life=365.0)
    # day 0: nothing before; day 365: the day-0 failure at half weight; day 730: 0.25 + 0.5 + 0
    assert s.tolist() == pytest.approx([0.0, 0.5, 0.5, 0.0, 0.75])


def test_batch_tightness_reads_one_and_two_sided_limits():
    from lingqu.risk.features import batch_tightness

    f = pl.DataFrame({"batch_id": [1, 1, 2, 2, 3, 3], "test_item": ["e", "v", "e", "v", "e", "v"],
                      "measured_value": [80.5, 4.8, 90.0, 0.2, 85.0, -2.0],
                      "limit_text": [">=80%", "±5%", ">=80%", "±5%", ">=80%", "±5%"]})
    t = dict(batch_tightness(f).iter_rows())
    assert t[1] > t[3] > t[2]  # batch 1 passed by a hair on both items, batch 2 with room to spare


def test_monthly_regrade_follows_the_held_out_years_market_level(tmp_path):
    """The demo world's market improves in 2025 (pass-rate target 0.70 -> 0.74), which no record
    before 2025 reveals: the grades as of 1 January over-predict the whole year. Regraded at the start
    of each month (the recent-level step refits the log-odds level on the last LEVEL_DAYS), the
    predictions of the later months follow the new level; every grading uses only earlier records
    (``world_frames`` drops the rest, and the truth folder is deleted before grading)."""
    import risk_quality as rq

    from lingqu.risk.service import grade_frames
    from lingqu.risk.worldfiles import world_frames
    from lingqu.simulate.world import generate_world

    w = tmp_path / "w"
    generate_world(w, seed=11, enterprises=2000)
    public = tmp_path / "public"
    shutil.copytree(w, public)
    shutil.rmtree(public / "truth")
    static = rq.calibration_figures(grade_frames(world_frames(public, AS_OF), AS_OF), w)
    import lingqu.risk.worldfiles as wf

    # the prequential replay reads the public copy; the evaluation reads the truth of the original
    monthly = rq.prequential_figures(grade_frames(world_frames(public, AS_OF), AS_OF), w,
                                     frames=lambda day: wf.world_frames(public, day))
    bias = np.array(monthly["bias_by_month"])
    print(f"static ECE {static['ece']:.3f} (pred {static['predicted']:.3f} obs {static['observed']:.3f}); "
          f"monthly ECE {monthly['ece_monthly']:.3f}; bias by month {np.round(bias, 3)}")
    # measured: static ECE 0.090 (0.349 vs 0.259), monthly 0.021; bias Jan +0.039, Jul-Dec mean +0.0005
    assert static["predicted"] - static["observed"] > 0.02
    assert monthly["ece_monthly"] < static["ece"] - 0.01
    assert abs(bias[6:].mean()) < abs(bias[0]) / 2
