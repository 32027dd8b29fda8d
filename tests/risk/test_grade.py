"""Risk grading on generated demo worlds (``lingqu risk grade``).

The engine never reads the world's ``truth/`` folder; these tests do, to measure it.
Measured figures (1000-enterprise worlds, as of 2025-01-01, scored on every 2025 batch) are in
``docs/methods/risk-grading.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from lingqu.db.engine import dispose_engine, unit_of_work
from lingqu.stats import evaluation as ev

AS_OF = dt.date(2025, 1, 1)
LINGQU = Path(sys.executable).parent / "lingqu"


# --- helpers shared with test_plan*.py ----------------------------------------------------------

def make_world(root: Path, seed: int, enterprises: int) -> Path:
    from lingqu.simulate.world import generate_world

    out = root / f"world-{seed}-{enterprises}"
    if not (out / "manifest.json").is_file():
        generate_world(out, seed=seed, enterprises=enterprises)
    return out


def truncated_copy(world: Path, dest: Path, before: dt.date) -> Path:
    """The world's public files with every dated record on/after ``before`` removed."""
    dest.mkdir(parents=True, exist_ok=True)
    cut = before.isoformat()
    for name, col in (("sampling.csv", "sampled_on"), ("complaints.csv", "received_on"),
                      ("certificates.csv", "issued_on"), ("assistance.csv", "started_on")):
        f = pl.read_csv(world / name, infer_schema_length=0)
        f.filter(pl.col(col).is_null() | (pl.col(col) < cut)).write_csv(dest / name)
    for name in ("enterprises.csv", "institutions.csv"):
        shutil.copy(world / name, dest / name)
    return dest


def load(world: Path, url: str) -> None:
    from lingqu.simulate.loading import load_world

    load_world(world, url)


def new_sqlite(template: Path, dest: Path) -> str:
    shutil.copy(template, dest)
    return f"sqlite:///{dest}"


def outcomes_2025(world: Path) -> pl.DataFrame:
    """Per 2025 batch: uscc, failed (observed) and the hidden failure probability (truth)."""
    return (pl.read_csv(world / "truth" / "batches.csv")
            .filter(pl.col("sampled_on") >= AS_OF.isoformat())
            .select("uscc", "failed", "failure_probability"))


@pytest.fixture(scope="module")
def big_world(tmp_path_factory, sqlite_template):
    """A 1000-enterprise world (seed 1) loaded once into SQLite and graded as of 2025-01-01."""
    from lingqu.risk.service import grade_enterprises

    root = tmp_path_factory.mktemp("risk-big")
    world = make_world(root, 1, 1000)
    url = new_sqlite(sqlite_template, root / "big.db")
    load(world, url)
    with unit_of_work(url) as s:
        run = grade_enterprises(s, AS_OF)
    yield world, url, run
    dispose_engine(url)


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    return make_world(tmp_path_factory.mktemp("risk-small"), 2, 300)


# --- on both backends -----------------------------------------------------------------------------

def test_batches_after_the_as_of_date_do_not_change_the_grades(db_url, small_world, tmp_path):
    from lingqu.risk.service import grade_enterprises

    load(truncated_copy(small_world, tmp_path / "before", AS_OF), db_url)
    with unit_of_work(db_url) as s:
        first = grade_enterprises(s, AS_OF)
    assert first.inserted == len(first.grades) > 100
    load(small_world, db_url)  # now 2025's batches, complaints, certificates and assistance are in too
    with unit_of_work(db_url) as s:
        again = grade_enterprises(s, AS_OF)
    assert [(g.uscc, g.probability, g.grade) for g in again.grades] == [
        (g.uscc, g.probability, g.grade) for g in first.grades]
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(first.grades))


def test_changed_grade_is_updated_with_an_audit_entry_not_silently(db_url, small_world):
    from lingqu.audit.models import AuditEntry
    from lingqu.risk.models import RiskGrade
    from lingqu.risk.service import grade_enterprises

    load(small_world, db_url)
    with unit_of_work(db_url) as s:
        run = grade_enterprises(s, AS_OF)
        stored = s.query(RiskGrade).filter_by(as_of=AS_OF, policy_version=run.policy_version).count()
        assert stored == len(run.grades)
        top = s.query(RiskGrade).order_by(RiskGrade.probability.desc()).first()
        top.probability, top.grade = 0.01, "A"  # as if an earlier model had graded it differently
    with unit_of_work(db_url) as s:
        again = grade_enterprises(s, AS_OF)
        assert (again.updated, again.unchanged) == (1, len(run.grades) - 1)
        entry = s.query(AuditEntry).filter_by(entity="risk_grade", action="update").one()
        assert entry.before == {"probability": 0.01, "grade": "A"}
        assert entry.after["grade"] == run.grades[0].grade


def test_enterprise_with_one_failed_batch_is_not_graded_d_on_that_alone(db_url, small_world):
    from lingqu.enterprise.models import Enterprise
    from lingqu.risk.service import grade_enterprises
    from lingqu.sampling.models import Batch

    load(small_world, db_url)
    with unit_of_work(db_url) as s:
        e = Enterprise(uscc="91440300TESTONE01X", name="深圳市一批电子有限公司", city_code="440300",
                       district="南山区", cluster="power_bank", size="small", founded=dt.date(2015, 1, 1))
        s.add(e)
        s.flush()
        s.add(Batch(batch_no="TEST-ONE-1", enterprise_id=e.id, sampled_on=dt.date(2024, 11, 5), city_code="440300",
                    district="南山区", channel="online", passed=False, item_count=10, failed_count=1))
    with unit_of_work(db_url) as s:
        run = grade_enterprises(s, AS_OF)
    one = next(g for g in run.grades if g.uscc == "91440300TESTONE01X")
    # 1 of 1 failed: the raw rate is 100 %, the shrunk rate (α + 1)/(α + β + 1) stays near the peers
    assert one.grade != "D"
    assert one.probability < 0.5
    history = next(r for r in one.reasons if r["factor"] == "history")
    assert "历史1批中1批不合格" in history["text_zh"]


# --- measurements on one larger world (SQLite only: statistics, not storage) -----------------------

def test_reasons_quote_the_enterprises_own_counts(big_world):
    world, _, run = big_world
    batches = (pl.read_csv(world / "sampling.csv", infer_schema_length=0)
               .filter(pl.col("sampled_on") < AS_OF.isoformat())
               .group_by("uscc", "batch_id").agg((pl.col("verdict") == "不合格").any().alias("failed"))
               .group_by("uscc").agg(pl.len().alias("n"), pl.col("failed").sum().alias("k")))
    complaints = (pl.read_csv(world / "complaints.csv", infer_schema_length=0)
                  .filter(pl.col("received_on") < AS_OF.isoformat())
                  .group_by("uscc").agg(
                      (pl.col("received_on") >= (AS_OF - dt.timedelta(days=365)).isoformat()).sum().alias("recent"),
                      pl.len().alias("all")))
    n_by = {u: (n, k) for u, n, k in batches.iter_rows()}
    c_by = {u: (recent, everything) for u, recent, everything in complaints.iter_rows()}
    older_quoted = 0
    checked = 0
    for g in run.grades[:40]:
        assert 1 <= len(g.reasons) <= 5
        assert all(r["text_zh"] and r["text_en"] for r in g.reasons)
        for r in g.reasons:
            if r["factor"] == "history" and g.uscc in n_by:
                n, k = n_by[g.uscc]
                assert f"历史{n}批中{k}批不合格" in r["text_zh"]
                assert f"{k} of {n} earlier batches failed" in r["text_en"]
                checked += 1
            if r["factor"] == "complaints":
                # the factor weighs older complaints too, so the words name them when there are any
                recent, everything = c_by.get(g.uscc, (0, 0))
                expected = f"近12个月投诉{recent}起" + (f"，更早投诉{everything - recent}起（越早权重越小）"
                                                    if everything > recent else "")
                assert r["text_zh"] == expected
                older_quoted += everything > recent
                checked += 1
    assert checked >= 20
    assert older_quoted, "no reason quoted older complaints: the case the wording is for was not reached"
    # the riskiest enterprises are pushed up by their records, and say so
    assert all(g.reasons[0]["direction"] == "up" for g in run.grades[:10])


def test_every_model_column_belongs_to_a_reason_factor(big_world):
    """No effect goes unexplained: each numeric and history column of the fitted model is part of a
    factor that the reasons can name (the channel is the regulator's choice, not a reason)."""
    from lingqu.risk import repository
    from lingqu.risk.reasons import CATEGORICAL_FACTOR, factor_of
    from lingqu.risk.service import GradingFrames, score_frames

    _world, url, _run = big_world
    with unit_of_work(url) as s:
        frames = GradingFrames(repository.enterprises(s, repository.sampled_clusters(s, AS_OF)),
                               repository.batches(s, AS_OF), repository.failed_items(s, AS_OF),
                               repository.complaints(s, AS_OF), repository.certificates(s, AS_OF),
                               repository.assistance(s, AS_OF), repository.measured_results(s, AS_OF))
    encoder = score_frames(frames, AS_OF).model.encoder_
    dense = encoder.numeric_names_ + tuple(f"{n} (missing)" for n, m in zip(encoder.numeric_names_,
                                                                            encoder.missing_indicator_) if m)
    assert len(dense) >= 15
    assert [n for n in dense if factor_of(n) is None] == []
    assert set(encoder.categorical_names_) - set(CATEGORICAL_FACTOR) == {"channel"}


def test_a_failing_history_never_reads_as_lowering_the_risk(big_world):
    """An enterprise whose last batches all failed must not be told that its sampling history
    lowered its probability (the history columns are one factor, with the recency-weighted rate)."""
    _world, _url, run = big_world
    checked = 0
    for g in run.grades:
        for r in g.reasons:
            if r["factor"] == "history" and "近3批中有3批不合格" in r["text_zh"]:
                assert r["direction"] == "up", (g.uscc, r)
                checked += 1
    assert checked >= 5


def test_grades_are_calibrated_on_the_held_out_year(big_world):
    world, _, run = big_world
    p = pl.DataFrame({"uscc": [g.uscc for g in run.grades], "p": [g.probability for g in run.grades],
                      "grade": [g.grade for g in run.grades]})
    j = outcomes_2025(world).join(p, on="uscc", how="inner")
    y, pp = j["failed"].to_numpy().astype(float), j["p"].to_numpy()
    ece = ev.expected_calibration_error(y, pp, bins=10)
    auc = ev.roc_auc(y, pp)
    print(f"held-out 2025: n={y.size} observed {y.mean():.3f} predicted {pp.mean():.3f} ECE {ece:.4f} AUC {auc:.3f}")
    assert y.size > 1000
    # static grades of 1 January: measured 0.039 on this world (seed 1; predicted 0.306, observed 0.279),
    # 0.018-0.082 (mean 0.047) over 20 x 4000-enterprise worlds, mostly the simulator's market-wide 2025
    # shift (pass-rate target 0.70 -> 0.74), which no earlier record reveals; regraded monthly the same
    # worlds give 0.011-0.026: docs/methods/risk-grading.md, bench/risk_quality.py
    assert ece <= 0.04
    assert abs(pp.mean() - y.mean()) <= 0.03
    assert auc >= 0.65  # measured 0.692 (the hidden truth's own AUC on these batches: 0.747)
    # hit rate rises with the grade (A holds only ~20 batches here, too few to rank)
    rate = dict(j.group_by("grade").agg(pl.col("failed").mean()).iter_rows())
    assert rate["B"] < rate["C"] < rate["D"]


def test_cli_grade_prints_grades_with_reasons_as_json(big_world, tmp_path):
    import os

    _, url, run = big_world
    env = dict(os.environ, LINGQU_DATABASE_URL=url)
    out = subprocess.run([str(LINGQU), "risk", "grade", "--as-of", "2025-01-01", "--json"],
                         capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["as_of"] == "2025-01-01" and data["policy_version"] == "lingqu-risk-2026.1"
    assert data["stored"] == {"inserted": 0, "updated": 0, "unchanged": len(run.grades)}
    assert sum(data["distribution"].values()) == len(data["grades"]) == len(run.grades)
    g = data["grades"][0]
    assert set(g) >= {"uscc", "name", "probability", "grade", "reasons"}
    assert g["reasons"][0]["text_zh"]
    assert np.isclose(g["probability"], run.grades[0].probability, atol=1e-6)
