"""The alert list: filters by status, detector and scope, pages with their total, through the
service, the API (``X-Total-Count``), the CLI and the inbox page. Each filter is checked against
the same selection made from every alert, so a dropped or misplaced condition fails here; the
inbox's actions return the user to the list it was working through."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from lingqu.alert import service
from lingqu.db.engine import unit_of_work
from lingqu.exceptions import ValidationError
from tests.alert.test_alert_scan import loaded, world_dir  # noqa: F401


@pytest.fixture
def scanned(loaded):  # noqa: F811
    """The alert test world loaded and scanned, a few alerts handled; with every alert, newest first."""
    db_url = loaded
    with unit_of_work(db_url) as s:
        service.scan(s)
        everything = service.list_alerts(s, limit=None)
        # a few handled alerts, so the status filter has something to tell apart
        for a in everything[:3]:
            service.acknowledge(s, a["id"], actor="test")
        service.close(s, everything[3]["id"], "已核查", actor="test")
    with unit_of_work(db_url) as s:
        everything = service.list_alerts(s, limit=None)
    return db_url, everything


def test_filters_and_pages_select_what_the_alerts_say(scanned):
    url, everything = scanned
    assert len(everything) > 50, "the world must raise more than one page of the inbox (50)"
    assert [(a["raised_at"], a["id"]) for a in everything] == sorted(((a["raised_at"], a["id"]) for a in everything),
                                                                     reverse=True)
    with unit_of_work(url) as s:
        total = s.execute(sa.text("SELECT COUNT(*) FROM alert")).scalar()
        assert len(everything) == total  # limit=None: nothing cut
        for filters in ({"status": "acknowledged"}, {"status": "closed"}, {"kind": "cusum"}, {"kind": "complaint_surge"},
                        {"scope": "test_item"}, {"scope": "enterprise", "kind": "ewma", "status": "new"}):
            want = [a["id"] for a in everything if all(a[k] == v for k, v in filters.items())]
            assert want, filters
            seen, page = [], 1
            while True:
                out = service.alert_page(s, **filters, page=page, page_size=7)
                assert out["total"] == len(want)
                seen += [a["id"] for a in out["items"]]
                if page >= out["pages"]:
                    break
                page += 1
            assert seen == want, filters
        past = service.alert_page(s, page=10_000, page_size=50)
        assert past["items"] == [] and past["total"] == total
        for field, bad in (("status", "open"), ("kind", "cusm"), ("scope", "district")):
            with pytest.raises(ValidationError) as e:
                service.alert_page(s, **{field: bad})
            assert e.value.field == field


def test_api_pages_with_a_total_and_names_bad_parameters(scanned, app_client):
    _url, everything = scanned
    r = app_client.get("/api/v1/alerts", params={"kind": "cusum", "page_size": 5, "page": 2})
    cusum = [a["id"] for a in everything if a["kind"] == "cusum"]
    assert r.status_code == 200 and int(r.headers["x-total-count"]) == len(cusum)
    assert [a["id"] for a in r.json()] == cusum[5:10]
    assert len(app_client.get("/api/v1/alerts").json()) == min(len(everything), 500)
    for params, field in (({"kind": "x"}, "kind"), ({"scope": "x"}, "scope"), ({"status": "x"}, "status"),
                          ({"page": "0"}, "page"), ({"page_size": "501"}, "page_size")):
        bad = app_client.get("/api/v1/alerts", params=params)
        assert bad.status_code == 422 and field in bad.text, params


def test_inbox_pages_filters_and_keeps_the_list_after_an_action(scanned, app_client):
    _url, everything = scanned
    new_items = [a for a in everything if a["status"] == "new" and a["scope"] == "enterprise"]
    page = app_client.get("/alerts", params={"status": "new", "scope": "enterprise"})
    assert page.status_code == 200
    assert f"共 {len(new_items)} 条预警" in page.text
    listed = re.findall(r'<a href="/alerts\?[^"]*selected=(\d+)">#', page.text)
    assert [int(x) for x in listed] == [a["id"] for a in new_items[:50]]
    # unfiltered, the world's alerts take two pages of 50
    first = app_client.get("/alerts").text
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = app_client.get("/alerts", params={"page": 2}).text
    assert [int(x) for x in re.findall(r'selected=(\d+)">#', second)] == [a["id"] for a in everything[50:100]]
    assert 'rel="prev"' in second
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    target = new_items[1]["id"]
    r = app_client.post(f"/alerts/{target}/ack", data={"csrf_token": token, "status": "new", "list_scope": "enterprise"},
                        follow_redirects=False)
    assert r.status_code == 303
    location = r.headers["location"]
    assert "status=new" in location and "scope=enterprise" in location and f"selected={target}" in location
    assert app_client.get("/alerts", params={"kind": "nonsense"}).status_code == 422


def test_cli_lists_every_alert_with_filters(scanned, cli_env):
    import json
    import subprocess
    import sys

    url, everything = scanned
    run = subprocess.run([sys.executable, "-c", "from lingqu.cli import main; main()", "alerts", "list", "--kind",
                          "ewma", "--json"], env=cli_env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert [a["id"] for a in json.loads(run.stdout)] == [a["id"] for a in everything if a["kind"] == "ewma"]
    bad = subprocess.run([sys.executable, "-c", "from lingqu.cli import main; main()", "alerts", "list", "--scope",
                          "district"], env=cli_env, capture_output=True, text=True)
    assert bad.returncode != 0 and "scope" in (bad.stderr + bad.stdout)
