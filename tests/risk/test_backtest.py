"""``lingqu risk backtest``: contract shape, leakage-freedom, a planted signal found, bad input refused."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from lingqu.exceptions import ValidationError
from lingqu.risk.backtest import backtest, parse_cutoff, prepare, read_inspections, run_backtest
from lingqu.stats import evaluation as ev
from tests.risk.synthetic import cutoff_for, planted_history

LINGQU = Path(sys.executable).parent / "lingqu"


def contract_file(path: Path) -> Path:
    """The shared contract check's file: 400 inspections of 40 entities, months 8-9 unknown (80 rows)."""
    rng = random.Random(1)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["inspection_id", "entity_id", "date", "outcome", "size", "district"])
        for i in range(400):
            e = i % 40
            m = 1 + (i // 40) % 9
            out = "" if m >= 8 else int(rng.random() < 0.1 + 0.02 * (e % 10))
            w.writerow([i, e, f"2024-{m:02d}-{1 + i % 27:02d}", out, e % 3, f"D{e % 4}"])
    return path


def frame(rows: list[tuple], extra: dict | None = None) -> pl.DataFrame:
    cols = {"inspection_id": [r[0] for r in rows], "entity_id": [r[1] for r in rows],
            "date": [r[2] for r in rows], "outcome": [r[3] for r in rows]}
    return pl.DataFrame({**cols, **(extra or {})}, schema={k: pl.String for k in {**cols, **(extra or {})}})


def scores_of(f: pl.DataFrame, cutoff: date | None = None) -> dict[str, float]:
    s, _ = backtest(prepare(f), cutoff)
    return dict(zip(s["inspection_id"].to_list(), s["score"].to_list()))


@pytest.fixture(scope="module")
def scattered() -> pl.DataFrame:
    """Planted history with 15 % of outcomes unknown at random dates (no cutoff needed)."""
    f = planted_history(150, 10, seed=21, days=365).drop("p_true")
    rng = np.random.default_rng(22)
    blank = pl.Series(rng.random(f.height) < 0.15)
    return f.with_columns(pl.when(blank).then(None).otherwise(pl.col("outcome")).alias("outcome"))


# --- contract -------------------------------------------------------------------------------------

def test_cli_scores_exactly_the_rows_with_unknown_outcome(tmp_path):
    data, out = contract_file(tmp_path / "bt.csv"), tmp_path / "s.csv"
    run = subprocess.run([str(LINGQU), "risk", "backtest", "--data", str(data), "--out", str(out), "--json"],
                         capture_output=True, text=True, env=dict(os.environ))
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["inspection_id", "score"]
    unknown = [r["inspection_id"] for r in csv.DictReader(data.open()) if r["outcome"] == ""]
    assert [r["inspection_id"] for r in rows] == unknown and len(rows) == 80
    assert all(0 < float(r["score"]) < 1 for r in rows)
    report = json.loads(run.stdout)
    assert (report["scored"], report["trained_on"], report["evaluated"], report["metrics"]) == (80, 320, 0, None)
    assert report["features"]["numeric"] == ["size"] and report["features"]["categorical"] == ["district"]


def test_cli_with_cutoff_scores_later_rows_and_reports_metrics(tmp_path):
    data, out = contract_file(tmp_path / "bt.csv"), tmp_path / "s.csv"
    report = run_backtest(data, out, date(2024, 6, 1)).as_dict()
    assert report["scored"] == 160 and report["evaluated"] == 80 and report["trained_on"] == 200 + 40
    m = report["metrics"]
    assert m["n"] == 80 and 0 <= m["auc"] <= 1 and 0 <= m["brier"] <= 1
    assert sum(b["n"] for b in m["calibration"]) == 80
    assert [g["grade"] for g in m["hit_rate_by_grade"]] == ["A", "B", "C", "D"]
    assert sum(g["n"] for g in m["hit_rate_by_grade"]) == 80
    assert 0 <= m["top_half_share_of_positives"] <= 1


def test_cli_bad_input_exits_2_with_the_line(tmp_path):
    data = tmp_path / "bad.csv"
    data.write_text("inspection_id,entity_id,date,outcome\n1,a,2024-01-01,1\n2,a,2024-02-30,0\n")
    run = subprocess.run([str(LINGQU), "risk", "backtest", "--data", str(data), "--out", str(tmp_path / "s.csv")],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert "date" in run.stderr and "line 3" in run.stderr


# --- leakage --------------------------------------------------------------------------------------

@pytest.mark.parametrize("when", ["2022-04-15", "2022-08-01", "2022-11-20"])
def test_a_scored_rows_score_ignores_other_outcomes_on_and_after_its_date(scattered, when):
    d = date.fromisoformat(when)
    before = scores_of(scattered)
    rng = np.random.default_rng(int(d.strftime("%Y%m%d")))
    day = pl.col("date").str.to_date()
    new = pl.Series(rng.choice(["0", "1", ""], scattered.height, p=[0.4, 0.4, 0.2])).replace("", None)
    # after D: anything goes (flip, blank, reveal); on D: the known outcomes change, unknown stay unknown
    changed = scattered.with_columns(
        pl.when((day > pl.lit(d)) | ((day == pl.lit(d)) & pl.col("outcome").is_not_null()))
        .then(new).otherwise(pl.col("outcome")).alias("outcome"))
    assert changed["outcome"].ne_missing(scattered["outcome"]).sum() > 50
    after = scores_of(changed)
    ids = [i for i in scattered.filter((day <= pl.lit(d)) & pl.col("outcome").is_null())["inspection_id"]
           if before[i] is not None]
    assert len(ids) > 20
    assert [after[i] for i in ids] == [before[i] for i in ids]  # bit for bit


def test_with_a_cutoff_outcomes_after_it_change_nothing(scattered):
    cut = date(2022, 9, 1)
    before = scores_of(scattered, cut)
    late = pl.col("date").str.to_date() >= pl.lit(cut)
    flipped = scattered.with_columns(
        pl.when(late).then(pl.when(pl.col("outcome") == "1").then(pl.lit("0")).otherwise(pl.lit("1")))
        .otherwise(pl.col("outcome")).alias("outcome"))
    assert scores_of(flipped, cut) == before
    blanked = scattered.with_columns(pl.when(late).then(None).otherwise(pl.col("outcome")).alias("outcome"))
    assert scores_of(blanked, cut) == before


@pytest.mark.parametrize("known_first", [False, True])
def test_same_day_inspections_do_not_see_each_others_outcomes(known_first):
    rng = np.random.default_rng(5)  # 40 entities inspected daily in January, failure rates 5 % .. 55 %
    rows = [(f"{e}-{d}", f"e{e}", f"2024-01-{d:02d}", str(int(rng.random() < 0.05 + 0.5 * (e % 10) / 9)))
            for d in range(1, 31) for e in range(40)]
    pair = [("x", "e5", "2024-01-31", None), ("y", "e5", "2024-01-31", "1")]
    rows += pair[::-1] if known_first else pair
    base = scores_of(frame(rows))
    at = rows.index(("y", "e5", "2024-01-31", "1"))
    rows[at] = ("y", "e5", "2024-01-31", "0")
    assert scores_of(frame(rows))["x"] == base["x"]
    rows[at] = ("y", "e5", "2024-01-30", "0")  # the same change a day earlier is history and does count
    assert scores_of(frame(rows))["x"] != base["x"]


def test_scored_rows_with_nothing_known_before_them_get_no_score():
    rows = [("1", "a", "2024-01-01", None), ("2", "a", "2024-01-02", "1"), ("3", "b", "2024-01-03", None)]
    s, report = backtest(prepare(frame(rows)))
    assert s["score"][0] is None and s["score"][1] is not None
    assert report.unscored == 1 and report.warnings


# --- planted signal -------------------------------------------------------------------------------

def test_planted_signal_is_found_and_probabilities_are_calibrated():
    f = planted_history(500, 14, seed=7, spread=1.4)
    cut = cutoff_for(f)
    scores, report = backtest(prepare(f.drop("p_true")), cut)
    held = f.filter(pl.col("date").str.to_date() >= pl.lit(cut)).join(scores, on="inspection_id")
    y, p = held["outcome"].cast(int).to_numpy(), held["score"].to_numpy()
    m = report.metrics
    assert m["n"] == held.height > 1500
    assert m["auc"] == pytest.approx(ev.roc_auc(y, p)) and m["auc"] > 0.7
    assert ev.roc_auc(y, held["p_true"].to_numpy()) - m["auc"] < 0.08  # close to the oracle's AUC
    assert m["ece"] < 0.05
    assert abs(m["mean_predicted"] - m["observed_rate"]) < 0.03
    assert m["brier"] < m["brier_reference"]  # beats the base-rate forecast
    assert m["top_half_share_of_positives"] > 0.65
    rates = [g["hit_rate"] for g in m["hit_rate_by_grade"] if g["n"] >= 20]
    assert rates == sorted(rates) and len(rates) >= 3  # hit rate rises from A to D


def test_shrinkage_prior_is_fitted_on_the_training_entities():
    f = planted_history(300, 12, seed=9, spread=1.4)
    _, report = backtest(prepare(f.drop("p_true")), cutoff_for(f))
    (model,) = report.models
    assert model.mode == "regression" and model.calibration == "platt"
    mean = model.prior_alpha / (model.prior_alpha + model.prior_beta)
    assert 0.1 < mean < 0.4 and model.prior_alpha + model.prior_beta < 50  # entities differ: real shrinkage


# --- reading and types ----------------------------------------------------------------------------

def test_numeric_and_categorical_columns_are_detected():
    rows = [(str(i), "a", f"2024-01-{1 + i:02d}", "1" if i % 2 else "0") for i in range(4)]
    ins = prepare(frame(rows, {"weight": ["1.5", "", "3", "-2e1"], "code": ["12", "x", "", "12"],
                               "empty": [None, "", " ", None]}))
    assert ins.numeric == ("weight",) and ins.categorical == ("code",) and ins.ignored == ("empty",)
    assert ins.frame["code"].to_list() == [0, 1, -1, 0]


def test_dates_in_common_layouts_are_read(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("\ufeffInspection_ID,entity_id,date,outcome\n1,a,2024/1/5,1\n2,a,20240106,0\n"
                 "3,a,2024-01-07 10:30:00,\n4,a,2024.01.08,\n", encoding="utf-8")
    ins = read_inspections(p)
    assert ins.frame["day"].to_list() == [(date(2024, 1, d) - date(1970, 1, 1)).days for d in (5, 6, 7, 8)]


def test_gb18030_file_with_chinese_categories(tmp_path):
    p = tmp_path / "g.csv"
    rows = "".join(f"{i},企业{i % 3},2024-01-{1 + i:02d},{'' if i > 20 else i % 2},{'深圳' if i % 2 else '东莞'}\n"
                   for i in range(25))
    p.write_bytes(("inspection_id,entity_id,date,outcome,城市\n" + rows).encode("gb18030"))
    out = tmp_path / "s.csv"
    report = run_backtest(p, out)
    assert report.scored == 4 and report.features["categorical"] == ["城市"]


@pytest.mark.parametrize("text,field,needle", [
    ("inspection_id,entity_id,date\n1,a,2024-01-01\n", "outcome", "missing column"),
    ("inspection_id,entity_id,date,outcome\n1,a,2024-13-01,1\n", "date", "line 2"),
    ("inspection_id,entity_id,date,outcome\n1,a,2024-01-01,1\n2,a,2024-01-02,yes\n", "outcome", "line 3"),
    ("inspection_id,entity_id,date,outcome\n1,a,2024-01-01,1\n1,b,2024-01-02,0\n", "inspection_id", "repeated"),
    ("inspection_id,entity_id,date,outcome\n1,,2024-01-01,1\n", "entity_id", "line 2"),
    ("inspection_id,entity_id,date,outcome\n1,a,2024-01-01,\n", "outcome", "nothing to train on"),
    ("inspection_id,entity_id,date,outcome\n", "data", "no inspections"),
])
def test_bad_input_is_refused_with_field_and_line(tmp_path, text, field, needle):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(ValidationError) as e:
        run_backtest(p, tmp_path / "s.csv")
    assert e.value.field == field and needle in e.value.message


def test_bad_cutoff_and_missing_files_are_named(tmp_path):
    with pytest.raises(ValidationError) as e:
        parse_cutoff("2024-02-31")
    assert e.value.field == "cutoff"
    with pytest.raises(ValidationError) as e:
        run_backtest(tmp_path / "none.csv", tmp_path / "s.csv")
    assert e.value.field == "data"
    with pytest.raises(ValidationError) as e:
        run_backtest(contract_file(tmp_path / "bt.csv"), tmp_path / "no" / "s.csv")
    assert e.value.field == "out"
