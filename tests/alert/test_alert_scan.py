"""Early warning on the demo world: alerts raised, not duplicated, incremental = full, lifecycle,
adapters, and detection of the injected deteriorations (truth/ is read here only, never by the engine)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import polars as pl
import pytest
import sqlalchemy as sa

from lingqu.alert import service
from lingqu.db.engine import unit_of_work
from lingqu.exceptions import ValidationError
from lingqu.simulate.loading import load_world
from lingqu.simulate.world import generate_world


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("alertworld")
    generate_world(path, seed=11, enterprises=300)
    return path


@pytest.fixture
def loaded(world_dir, db_url):
    load_world(world_dir, db_url)
    return db_url


def _signature(url):
    with unit_of_work(url) as s:
        rows = s.execute(sa.text("SELECT kind, scope, scope_key, raised_at, last_signal_on, threshold FROM alert")).all()
    return sorted((r[0], r[1], r[2], str(r[3]), str(r[4]), round(r[5], 6)) for r in rows)


def test_scan_raises_alerts_and_a_rescan_raises_nothing_new(loaded):
    with unit_of_work(loaded) as s:
        first = service.scan(s)
    assert first["raised"] > 0 and first["raised"] == len(first["alerts"])
    kinds = {a["kind"] for a in first["alerts"]}
    assert {"cusum", "ewma", "complaint_surge"} <= kinds
    a = next(x for x in first["alerts"] if x["kind"] == "cusum")
    assert a["statistic"] >= a["threshold"] and a["evidence"]["batch_ids"] and a["evidence"]["path"]
    with unit_of_work(loaded) as s:
        again = service.scan(s)
    assert (again["raised"], again["updated"]) == (0, 0)
    with unit_of_work(loaded) as s:
        open_series = s.execute(sa.text(
            "SELECT kind, scope, scope_key, COUNT(*) FROM alert WHERE status IN ('new','acknowledged') "
            "GROUP BY kind, scope, scope_key HAVING COUNT(*) > 1")).all()
        audited = s.execute(sa.text("SELECT COUNT(*) FROM audit_log WHERE entity = 'alert'")).scalar()
    assert open_series == [] and audited >= first["raised"]


def test_incremental_scans_give_the_same_alerts_as_one_full_scan(world_dir, db_url, tmp_path):
    load_world(world_dir, db_url)
    with unit_of_work(db_url) as s:
        service.scan(s, dt.date(2023, 6, 30))
        service.scan(s, dt.date(2024, 3, 31))
        service.scan(s, dt.date(2025, 12, 31))
        with pytest.raises(ValidationError):
            service.scan(s, dt.date(2024, 1, 1))
    incremental = _signature(db_url)
    with unit_of_work(db_url) as s:
        s.execute(sa.text("DELETE FROM alert"))
        s.execute(sa.text("DELETE FROM alert_detector_state"))
    with unit_of_work(db_url) as s:
        service.scan(s, dt.date(2025, 12, 31))
    assert _signature(db_url) == incremental and incremental


def test_lifecycle_new_acknowledged_closed_with_note(loaded):
    with unit_of_work(loaded) as s:
        alert_id = service.scan(s)["alerts"][0]["id"]
    with unit_of_work(loaded) as s:
        with pytest.raises(ValidationError) as e:
            service.close(s, alert_id, "  ")
        assert e.value.field == "note"
        assert service.acknowledge(s, alert_id, actor="reg1")["status"] == "acknowledged"
        closed = service.close(s, alert_id, "sampled again: supplier changed cells", actor="reg1")
        assert (closed["status"], closed["note"]) == ("closed", "sampled again: supplier changed cells")
        with pytest.raises(ValidationError):
            service.acknowledge(s, alert_id)
        with pytest.raises(ValidationError):
            service.close(s, alert_id, "again")
        assert [a["id"] for a in service.list_alerts(s, "closed")] == [alert_id]


def test_cli_scan_json_and_api_and_inbox_page(loaded, cli_env, app_client):
    run = subprocess.run([sys.executable, "-m", "lingqu.cli", "alerts", "scan", "--json"], env=cli_env,
                         capture_output=True, text=True)
    if run.returncode != 0 or not run.stdout.strip().startswith("{"):
        run = subprocess.run([sys.executable, "-c", "from lingqu.cli import main; main()", "alerts", "scan", "--json"],
                             env=cli_env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["raised"] > 0 and set(out) >= {"raised", "updated", "alerts"}
    first = out["alerts"][0]["id"]
    r = app_client.get("/api/v1/alerts", params={"status": "new"})
    assert r.status_code == 200 and len(r.json()) == out["raised"]
    assert app_client.post(f"/api/v1/alerts/{first}/ack").json()["status"] == "acknowledged"
    r = app_client.post(f"/api/v1/alerts/{first}/close", json={"note": "checked"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert app_client.post(f"/api/v1/alerts/{first}/ack").status_code == 422
    page = app_client.get(f"/alerts?selected={first}")
    assert page.status_code == 200 and "evidence-chart" in page.text and "echarts.min.js" in page.text


def test_detection_of_injected_deteriorations(world_dir, loaded):
    with unit_of_work(loaded) as s:
        service.scan(s)
        alerts = s.execute(sa.text(
            "SELECT e.uscc, a.kind, a.raised_at FROM alert a JOIN enterprise e ON CAST(e.id AS TEXT) = a.scope_key "
            "WHERE a.scope = 'enterprise'")).all()
        batches = s.execute(sa.text(
            "SELECT e.uscc, b.sampled_on FROM batch b JOIN enterprise e ON e.id = b.enterprise_id")).all()
        n_ent = s.execute(sa.text("SELECT COUNT(*) FROM enterprise")).scalar()
    truth = pl.read_csv(world_dir / "truth" / "deteriorations.csv", schema_overrides={"uscc": pl.Utf8})
    det = {u: dt.date.fromisoformat(d) for u, d in zip(truth["uscc"], truth["date"])}
    detected, delays = 0, []
    for uscc, start in det.items():
        hits = sorted(pd if isinstance(pd, dt.date) else dt.date.fromisoformat(str(pd))
                      for u, _, pd in alerts if u == uscc)
        hits = [h for h in hits if start <= h <= start + dt.timedelta(days=365)]
        if hits:
            detected += 1
            delays.append(sum(1 for u, d in batches if u == uscc and start <= (d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))) <= hits[0]))
    share = detected / len(det)
    delays.sort()
    median_delay = delays[len(delays) // 2] if delays else None
    false = sum(1 for u, _, _ in alerts if u not in det)
    years = 4.0  # 2022-2025
    per_100 = 100 * false / ((n_ent - len(det)) * years)
    print(f"\ndetected {detected}/{len(det)} = {share:.0%}; median delay {median_delay} batches; "
          f"false alarms {false} = {per_100:.2f} per 100 enterprise-years")
    # measured 4/29 = 14 % (seed 11): a modest floor; batches are sparse (~3 after a deterioration)
    assert share >= 0.10
    assert per_100 <= 5.0  # measured 2.1 per 100 enterprise-years (all enterprise-scope alerts)


def test_last_complete_month_waits_for_the_month_to_end():
    from lingqu.alert.service import last_complete_month

    assert last_complete_month(dt.date(2025, 12, 31)) == 2025 * 12 + 11  # December is complete on its last day
    assert last_complete_month(dt.date(2025, 12, 15)) == 2025 * 12 + 10  # mid-December: November
    assert last_complete_month(dt.date(2024, 2, 29)) == 2024 * 12 + 1    # a leap-year February ends on the 29th
    assert last_complete_month(dt.date(2025, 1, 1)) == 2024 * 12 + 11


def test_a_mid_month_scan_does_not_close_the_month_to_later_complaints(db_url):
    """A month is tested once; testing it mid-month would miss the complaints that arrive later in it."""
    from lingqu.alert.service import scan
    from lingqu.db.engine import unit_of_work
    from lingqu.enterprise.models import Complaint, Enterprise
    from lingqu.kit.identifiers import make_uscc

    with unit_of_work(db_url) as s:
        ents = [Enterprise(uscc=make_uscc("440300", f"7{i:07d}"), name=f"企业{i}", city_code="440300",
                           cluster="power_bank") for i in range(10)]
        s.add_all(ents)
        s.flush()
        n = 0
        for i, e in enumerate(ents):  # one complaint a month or so across the peers, for a peer rate
            for month in (10, 11, 12):
                n += 1
                s.add(Complaint(complaint_no=f"TS-{n}", enterprise_id=e.id, received_on=dt.date(2024, month, 5 + i)))
        target = ents[0]
        for day in (3, 20, 21, 22, 24, 26):  # six complaints in March 2025, five after the 10th
            n += 1
            s.add(Complaint(complaint_no=f"TS-{n}", enterprise_id=target.id, received_on=dt.date(2025, 3, day)))
    with unit_of_work(db_url) as s:
        mid = scan(s, dt.date(2025, 3, 10))
    assert not [a for a in mid["alerts"] if a["kind"] == "complaint_surge" and a["scope_key"] == str(target.id)]
    with unit_of_work(db_url) as s:
        end = scan(s, dt.date(2025, 3, 31))
    surges = [a for a in end["alerts"] if a["kind"] == "complaint_surge" and a["scope_key"] == str(target.id)]
    assert len(surges) == 1 and surges[0]["statistic"] == 6
