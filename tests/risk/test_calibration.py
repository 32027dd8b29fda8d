"""Monthly regrading and the check of the stored grades against what was sampled next
(``lingqu risk grade --monthly-since``, ``lingqu risk calibration``, ``GET /api/v1/risk/calibration``)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess

import polars as pl
import pytest
from sqlalchemy import select

from lingqu.db.engine import unit_of_work
from tests.conftest import log_in, make_user
from tests.risk.test_grade import LINGQU, load, small_world  # noqa: F401  (fixture)


def _cli(url, *args):
    env = dict(os.environ, LINGQU_DATABASE_URL=url)
    return subprocess.run([str(LINGQU), *args], capture_output=True, text=True, env=env, check=False)


def test_month_starts_are_the_first_days_in_range():
    from lingqu.exceptions import ValidationError
    from lingqu.risk.calibration import month_starts

    assert month_starts(dt.date(2024, 11, 1), dt.date(2025, 2, 1)) == [
        dt.date(2024, 11, 1), dt.date(2024, 12, 1), dt.date(2025, 1, 1), dt.date(2025, 2, 1)]
    assert month_starts(dt.date(2024, 11, 15), dt.date(2025, 1, 31)) == [dt.date(2024, 12, 1), dt.date(2025, 1, 1)]
    with pytest.raises(ValidationError) as e:
        month_starts(dt.date(2025, 3, 1), dt.date(2025, 1, 1))
    assert e.value.field == "monthly_since"


def test_monthly_regrade_then_each_batch_is_checked_against_its_latest_earlier_grade(db_url, small_world, anonymous_client):  # noqa: F811
    from lingqu.enterprise.models import Enterprise
    from lingqu.risk.models import RiskGrade
    from lingqu.sampling.models import Batch

    load(small_world, db_url)
    out = _cli(db_url, "risk", "grade", "--as-of", "2025-04-01", "--monthly-since", "2025-01-01", "--json")
    assert out.returncode == 0, out.stderr
    run = json.loads(out.stdout)
    assert [m["as_of"] for m in run["monthly"]] == ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"]
    assert run["as_of"] == "2025-04-01" and all(m["stored"]["inserted"] > 0 for m in run["monthly"])
    again = json.loads(_cli(db_url, "risk", "grade", "--as-of", "2025-04-01", "--monthly-since", "2025-01-01",
                            "--json").stdout)
    assert all(m["stored"]["inserted"] == m["stored"]["updated"] == 0 for m in again["monthly"])  # idempotent

    out = _cli(db_url, "risk", "calibration", "--from", "2025-01-01", "--to", "2025-07-01", "--json")
    assert out.returncode == 0, out.stderr
    rep = json.loads(out.stdout)

    # brute force: every batch of the range against the latest grade dated on or before its day
    with unit_of_work(db_url) as s:
        batches = s.execute(select(Batch.enterprise_id, Batch.sampled_on, Batch.passed)
                            .where(Batch.sampled_on >= dt.date(2025, 1, 1), Batch.sampled_on < dt.date(2025, 7, 1),
                                   Batch.passed.is_not(None))).all()
        grades = s.execute(select(RiskGrade.enterprise_id, RiskGrade.as_of, RiskGrade.probability)).all()
        city_of = dict(s.execute(select(Enterprise.id, Enterprise.city_code)).all())
    by_ent: dict[int, list] = {}
    for e, d, p in grades:
        by_ent.setdefault(e, []).append((d, p))
    matched = []
    for e, d, passed in batches:
        earlier = [x for x in by_ent.get(e, []) if x[0] <= d]
        if earlier:
            matched.append((d, max(earlier)[1], 0.0 if passed else 1.0, max(earlier)[0]))
    assert rep["batches"] == len(batches) and rep["graded_batches"] == len(matched) > 100
    m = rep["metrics"]
    assert m["n"] == len(matched)
    assert m["mean_predicted"] == pytest.approx(sum(x[1] for x in matched) / len(matched), abs=1e-9)
    assert m["observed_rate"] == pytest.approx(sum(x[2] for x in matched) / len(matched), abs=1e-12)
    assert 0 <= m["ece"] <= 1 and len(m["calibration"]) >= 2 and [g["grade"] for g in m["hit_rate_by_grade"]] == list("ABCD")
    months = {r["month"]: r for r in rep["by_month"]}
    # a batch is never compared with a grade made on a later day: January uses the 1 January grades,
    # May and June the 1 April ones (no later grade exists)
    assert months["2025-01"]["latest_grade_date"] == "2025-01-01"
    assert months["2025-06"]["latest_grade_date"] == "2025-04-01"
    assert sum(r["n"] for r in rep["by_month"]) == len(matched)

    # a city-bound regulator's API call checks its own city's batches only
    mine = pl.Series([c for c in city_of.values() if c]).value_counts(sort=True)[0, 0]
    make_user(db_url, "cal_reg", "regulator", city_code=mine)
    anonymous_client.cookies.clear()
    log_in(anonymous_client, "cal_reg")
    r = anonymous_client.get("/api/v1/risk/calibration", params={"from": "2025-01-01", "to": "2025-07-01"})
    assert r.status_code == 200
    city = r.json()
    assert city["city_code"] == mine
    assert city["batches"] == sum(1 for e, _, _ in batches if city_of[e] == mine) < rep["batches"]
    bad = anonymous_client.get("/api/v1/risk/calibration", params={"from": "2025-07-01", "to": "2025-01-01"})
    assert bad.status_code in (400, 422) and "to" in bad.text


def test_calibration_cli_refuses_bad_dates_by_name(db_url):
    out = _cli(db_url, "risk", "calibration", "--from", "2025-13-01", "--to", "2025-07-01")
    assert out.returncode == 2 and "from" in out.stderr
    out = _cli(db_url, "risk", "grade", "--monthly-since", "someday")
    assert out.returncode == 2 and "monthly_since" in out.stderr


def test_backtest_on_the_platforms_own_history_from_the_page_and_the_api(db_url, small_world, anonymous_client):  # noqa: F811
    from lingqu.enterprise.models import Complaint, Enterprise
    from lingqu.risk.calibration import own_history
    from lingqu.sampling.models import Batch

    load(small_world, db_url)
    with unit_of_work(db_url) as s:
        frame = own_history(s)
        n_batches = s.query(Batch).count()
        later_known = s.query(Batch).filter(Batch.sampled_on >= dt.date(2025, 1, 1), Batch.passed.is_not(None)).count()
        # the complaint count of a batch is its enterprise's complaints in the 365 days before the batch
        b = s.execute(select(Batch.batch_no, Batch.enterprise_id, Batch.sampled_on)
                      .join(Complaint, Complaint.enterprise_id == Batch.enterprise_id).limit(5)).all()
        for batch_no, eid, day in b:
            want = s.query(Complaint).filter(Complaint.enterprise_id == eid,
                                             Complaint.received_on >= day - dt.timedelta(days=365),
                                             Complaint.received_on < day).count()
            got = frame.filter(pl.col("inspection_id") == batch_no)["complaints_365d"].item()
            assert int(got) == want
        city_batches = {}  # batches per city of their enterprise (the grades' scope)
        for (c,) in s.execute(select(Enterprise.city_code).join(Batch, Batch.enterprise_id == Enterprise.id)):
            city_batches[c] = city_batches.get(c, 0) + 1
    assert frame.height == n_batches and set(frame["outcome"].drop_nulls().unique()) <= {"0", "1"}

    make_user(db_url, "bt_prov", "regulator")
    anonymous_client.cookies.clear()
    log_in(anonymous_client, "bt_prov")
    r = anonymous_client.get("/api/v1/risk/backtest", params={"cutoff": "2025-01-01"})
    assert r.status_code == 200
    rep = r.json()
    assert rep["rows"] == n_batches and rep["cutoff"] == "2025-01-01"
    assert rep["evaluated"] == later_known > 50 and 0.5 < rep["metrics"]["auc"] <= 1
    page = anonymous_client.get("/risk/backtest", params={"cutoff": "2025-01-01", "from": "2025-01-01",
                                                          "to": "2025-07-01"})
    assert page.status_code == 200 and 'id="backtest-metrics"' in page.text and "backtest-chart" in page.text
    assert "AUC" in page.text and f"{rep['metrics']['auc']:.3f}" in page.text
    bad = anonymous_client.get("/risk/backtest", params={"cutoff": "not-a-date"})
    assert bad.status_code == 422 and "cutoff" in bad.text

    # a city-bound regulator back-tests on its own city's batches only
    mine = max(city_batches, key=city_batches.get)
    make_user(db_url, "bt_city", "regulator", city_code=mine)
    anonymous_client.cookies.clear()
    log_in(anonymous_client, "bt_city")
    rep_city = anonymous_client.get("/api/v1/risk/backtest", params={"cutoff": "2025-01-01"}).json()
    assert rep_city["rows"] == city_batches[mine] < n_batches
    assert "city" not in rep_city["features"]["categorical"]
