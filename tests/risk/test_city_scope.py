"""City scoping of risk grades, the risk card, sampling plans and alerts, through the real app.

A city-bound regulator sees, draws and handles only its own city's enterprises; another city's
enterprise, plan or alert answers 404 exactly like a missing one. Province-wide users see all.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from lingqu.db.engine import unit_of_work
from tests.conftest import log_in, make_user
from tests.risk.test_grade import AS_OF, load, small_world  # noqa: F401

PREVIOUS = dt.date(2024, 7, 1)


@pytest.fixture
def city_world(db_url, small_world):  # noqa: F811
    """The small world loaded, graded at two as-of dates and scanned; users for two cities."""
    from lingqu.alert import service as alerts
    from lingqu.enterprise.models import Enterprise
    from lingqu.risk.service import grade_enterprises

    load(small_world, db_url)
    with unit_of_work(db_url) as s:
        grade_enterprises(s, PREVIOUS)
        grade_enterprises(s, AS_OF)
        alerts.scan(s)
        rows = s.execute(select(Enterprise.uscc, Enterprise.city_code, Enterprise.id)).all()
    by_city: dict[str, list] = {}
    for uscc, city, eid in rows:
        by_city.setdefault(city, []).append((uscc, eid))
    mine, other = sorted(by_city, key=lambda c: -len(by_city[c]))[:2]
    make_user(db_url, "city_reg", "regulator", city_code=mine)
    make_user(db_url, "prov_reg", "regulator")
    return {"url": db_url, "mine": mine, "other": other, "by_city": by_city}


def _as(client, who):
    client.cookies.clear()
    log_in(client, who)
    return client


def all_grades(client, **params) -> list[dict]:
    """Every stored grade the client may see, page by page (the API pages like every list)."""
    out, page = [], 1
    while True:
        body = client.get("/api/v1/risk/grades", params={**params, "page": page, "page_size": 200}).json()
        out += body["grades"]
        if page >= body["pages"]:
            assert len(out) == body["total"]
            return out
        page += 1


def _token(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def test_city_regulator_sees_its_own_citys_grades_with_trend_and_card(city_world, anonymous_client):
    w = city_world
    p = _as(anonymous_client, "prov_reg")
    everyone = all_grades(p)
    foreign = next(e["uscc"] for e in everyone if e["city_code"] == w["other"])
    assert p.get(f"/api/v1/risk/grades/{foreign}").json()["current"] is not None
    c = _as(anonymous_client, "city_reg")
    g = c.get("/api/v1/risk/grades", params={"page_size": 200}).json()
    assert g["pages"] == 1, "the city's grades fit on one page of 200"
    mine = {u for u, _ in w["by_city"][w["mine"]]}
    got = {e["uscc"] for e in g["grades"]}
    assert got and got <= mine and {e["city_code"] for e in g["grades"]} == {w["mine"]}
    # trend against the previous stored as-of date
    assert g["previous_as_of"] == PREVIOUS.isoformat()
    assert all(e["previous_probability"] is not None and e["trend"] in ("up", "down", "flat") for e in g["grades"])
    assert sum(g["distribution"].values()) == g["total"] == len(g["grades"])
    page = c.get("/risk")
    own = g["grades"][0]
    assert page.status_code == 200 and own["uscc"] in page.text and foreign not in page.text
    card = c.get(f"/api/v1/risk/grades/{own['uscc']}").json()
    assert [h["as_of"] for h in card["history"]] == [AS_OF.isoformat(), PREVIOUS.isoformat()]
    assert card["current"]["grade"] == own["grade"] and card["current"]["reasons"] == own["reasons"]
    html = c.get(f"/risk/{own['uscc']}")
    assert html.status_code == 200 and own["reasons"][0]["text_zh"] in html.text and "risk-history-chart" in html.text
    c.cookies.set("lang", "en")  # the English UI shows the reasons' English sentences and the catalogue's labels
    en = c.get(f"/risk/{own['uscc']}").text
    assert own["reasons"][0]["text_en"] in en and "Grade history" in en
    c.cookies.set("lang", "zh")
    assert c.get(f"/api/v1/risk/grades/{foreign}").status_code == 404
    assert c.get(f"/risk/{foreign}").status_code == 404
    assert c.get("/api/v1/risk/grades/91440000NOSUCH0000").status_code == 404
    assert got == {e["uscc"] for e in everyone if e["city_code"] == w["mine"]}  # the province sees all, the city its share


def test_city_plan_draws_only_its_city_and_exports(city_world, anonymous_client):
    w = city_world
    c = _as(anonymous_client, "city_reg")
    body = {"budget": 5, "period": "2025Q1", "seed": 11}
    plan = c.post("/api/v1/plan/draw", json=body).json()
    mine = {u for u, _ in w["by_city"][w["mine"]]}
    assert plan["city_code"] == w["mine"] and len(plan["enterprises"]) == 5
    assert {e["uscc"] for e in plan["enterprises"]} <= mine
    p = _as(anonymous_client, "prov_reg")
    province = p.post("/api/v1/plan/draw", json=body).json()
    assert province["city_code"] == "" and province["plan_id"] != plan["plan_id"] and province["status"] == "drawn"
    assert p.get(f"/api/v1/plan/{plan['plan_id']}").status_code == 200  # province sees every plan
    c = _as(anonymous_client, "city_reg")
    assert c.get(f"/api/v1/plan/{province['plan_id']}").status_code == 404
    assert c.get(f"/plan/{province['plan_id']}/export.csv").status_code == 404
    assert c.get("/plan/999999/export.xlsx").status_code == 404
    r = c.get(f"/plan/{plan['plan_id']}/export.csv")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["统一社会信用代码", "企业名称"]
    assert [row[0] for row in rows[1:]] == [e["uscc"] for e in plan["enterprises"]]
    x = c.get(f"/plan/{plan['plan_id']}/export.xlsx")
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(x.content)).active
    values = list(ws.iter_rows(values_only=True))
    assert values[1][0] == "统一社会信用代码" and [v[0] for v in values[2:]] == [e["uscc"] for e in plan["enterprises"]]
    # the page shows the export links of the drawn plan
    shown = c.post("/plan", data={**{k: str(v) for k, v in body.items()}, "csrf_token": _token(c, "/plan")})
    assert shown.status_code == 200 and f"/plan/{plan['plan_id']}/export.xlsx" in shown.text


def test_published_plans_are_listed_and_opened_within_the_users_scope(city_world, anonymous_client):
    """The plan page lists the published plans (a city regulator: its city's) and opens each one;
    another city's or the province's plan answers 404 to a city regulator, as its exports do."""
    w = city_world
    c = _as(anonymous_client, "city_reg")
    body = {"budget": 4, "period": "2025Q2", "seed": 5}
    own = c.post("/api/v1/plan/draw", json=body).json()
    p = _as(anonymous_client, "prov_reg")
    province = p.post("/api/v1/plan/draw", json=body).json()
    listed = p.get("/api/v1/plans").json()
    assert [x["plan_id"] for x in listed][:2] == [province["plan_id"], own["plan_id"]]  # newest first
    assert {x["city_code"] for x in listed[:2]} == {"", w["mine"]} and "enterprises" not in listed[0]
    assert listed[0]["created_at"].endswith(("+00:00", "Z"))  # UTC said explicitly; the page shows Beijing time
    page = p.get("/plan").text
    assert f'href="/plan/{own["plan_id"]}"' in page and f'href="/plan/{province["plan_id"]}"' in page
    opened = p.get(f"/plan/{own['plan_id']}")
    assert opened.status_code == 200 and all(e["uscc"] in opened.text for e in own["enterprises"])
    assert f"/plan/{own['plan_id']}/export.csv" in opened.text
    c = _as(anonymous_client, "city_reg")
    assert [x["plan_id"] for x in c.get("/api/v1/plans").json()] == [own["plan_id"]]
    page = c.get("/plan").text
    assert f'href="/plan/{own["plan_id"]}"' in page and f'href="/plan/{province["plan_id"]}"' not in page
    assert c.get(f"/plan/{province['plan_id']}").status_code == 404
    assert c.get("/plan/999999").status_code == 404
    assert c.get("/plan/0").status_code == 422


def test_province_wide_plan_page_draws_in_the_switchers_city_or_the_province(city_world, anonymous_client):
    w = city_world
    p = _as(anonymous_client, "prov_reg")
    body = {"budget": "4", "period": "2025Q2", "seed": "5"}
    whole = p.post("/plan", data={**body, "csrf_token": _token(p, "/plan")})
    assert whole.status_code == 200 and re.search(r'id="plan-city">全省<', whole.text)
    p.cookies.set("lingqu_city", w["other"])  # the header's city switcher
    from lingqu.risk.bulk import city_names

    names = city_names()
    assert f'id="plan-city">{names[w["other"]]}<' in p.get("/plan").text
    city = p.post("/plan", data={**body, "csrf_token": _token(p, "/plan")})
    assert city.status_code == 200
    theirs = {u for u, _ in w["by_city"][w["other"]]}
    drawn = set(re.findall(r'<small class="muted">(91[0-9A-Z]{16})</small>', city.text))
    assert drawn and drawn <= theirs
    plan_id = re.search(r'/plan/(\d+)/export.csv', city.text).group(1)
    assert plan_id != re.search(r'/plan/(\d+)/export.csv', whole.text).group(1)
    assert p.get(f"/api/v1/plan/{plan_id}").json()["city_code"] == w["other"]
    # a city-bound regulator's cookie cannot move it out of its city
    c = _as(anonymous_client, "city_reg")
    c.cookies.set("lingqu_city", w["other"])
    assert f'id="plan-city">{names[w["mine"]]}<' in c.get("/plan").text
    own = c.post("/plan", data={**body, "csrf_token": _token(c, "/plan")})
    assert set(re.findall(r'<small class="muted">(91[0-9A-Z]{16})</small>', own.text)) <= {u for u, _ in w["by_city"][w["mine"]]}


def test_city_regulator_handles_only_its_citys_alerts(city_world, anonymous_client):
    from lingqu.alert.models import Alert

    w = city_world
    with unit_of_work(w["url"]) as s:
        alerts = s.execute(select(Alert.id, Alert.scope, Alert.scope_key)).all()
    ids = {city: {str(e) for _, e in ents} for city, ents in w["by_city"].items()}

    def city_of(scope, key):
        if scope == "city":
            return key
        if scope == "enterprise":
            return next((c for c, s in ids.items() if key in s), None)
        return None  # test-item series span the province

    own = {a for a, sc, k in alerts if city_of(sc, k) == w["mine"]}
    foreign = [a for a, sc, k in alerts if city_of(sc, k) != w["mine"]]
    assert own and foreign, "the scan should raise alerts in and outside the city"
    c = _as(anonymous_client, "city_reg")
    listed = {a["id"] for a in c.get("/api/v1/alerts").json()}
    assert listed == own
    f = foreign[0]
    assert c.get(f"/api/v1/alerts/{f}").status_code == 404
    assert c.post(f"/api/v1/alerts/{f}/ack").status_code == 404
    assert c.post(f"/api/v1/alerts/{f}/close", json={"note": "x"}).status_code == 404
    assert c.get(f"/alerts?selected={f}").status_code == 404
    # acknowledge and close one of its own through the page, a note being required
    a = min(own)
    page = c.get(f"/alerts?selected={a}")
    assert page.status_code == 200 and "evidence-chart" in page.text and f"/alerts/{a}/close" in page.text
    token = _token(c, f"/alerts?selected={a}")
    r = c.post(f"/alerts/{a}/ack", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get(f"/api/v1/alerts/{a}").json()["status"] == "acknowledged"
    r = c.post(f"/alerts/{a}/close", data={"csrf_token": token, "note": "  "}, follow_redirects=False)
    assert r.status_code == 422 and "note" in r.text
    r = c.post(f"/alerts/{a}/close", data={"csrf_token": token, "note": "已现场核查，企业整改完成"}, follow_redirects=False)
    assert r.status_code == 303
    closed = c.get(f"/api/v1/alerts/{a}").json()
    assert closed["status"] == "closed" and closed["note"] == "已现场核查，企业整改完成" and closed["closed_by"] == "city_reg"
    assert c.post(f"/alerts/{f}/close", data={"csrf_token": token, "note": "x"}).status_code == 404
    assert c.post(f"/alerts/{a}/ack", data={"csrf_token": "forged"}).status_code == 403


def test_risk_card_lists_the_enterprises_own_alerts_and_the_inbox_links_back(city_world, anonymous_client):
    """What has just changed: the card lists the alerts of the enterprise's own series (and no
    other's); the inbox links an enterprise alert to that enterprise's card."""
    from lingqu.alert.models import Alert

    w = city_world
    with unit_of_work(w["url"]) as s:
        rows = s.execute(select(Alert.id, Alert.scope_key).where(Alert.scope == "enterprise")).all()
    mine = dict(w["by_city"][w["mine"]])  # uscc -> enterprise id
    by_id = {str(i): u for u, i in mine.items()}
    own = {}
    for alert_id, key in rows:
        if key in by_id:
            own.setdefault(by_id[key], set()).add(alert_id)
    assert own, "the scan should raise enterprise alerts in the city"
    uscc, ids = max(own.items(), key=lambda kv: len(kv[1]))
    c = _as(anonymous_client, "city_reg")
    card = c.get(f"/api/v1/risk/grades/{uscc}").json()
    assert {a["id"] for a in card["alerts"]} == ids
    assert [a["raised_at"] for a in card["alerts"]] == sorted((a["raised_at"] for a in card["alerts"]), reverse=True)
    html = c.get(f"/risk/{uscc}").text
    assert all(f'href="/alerts?selected={i}"' in html for i in ids)
    quiet = next(u for u in mine if u not in own and c.get(f"/api/v1/risk/grades/{u}").json()["current"])
    assert c.get(f"/api/v1/risk/grades/{quiet}").json()["alerts"] == []
    assert "该企业暂无预警。" in c.get(f"/risk/{quiet}").text
    inbox = c.get("/alerts", params={"selected": min(ids)}).text
    assert f'href="/risk/{uscc}"' in inbox


def test_province_regulator_pages_follow_the_city_switcher(city_world, anonymous_client):
    """The risk ranking and the alert inbox show the switcher's city; a city-bound regulator's URL
    cannot widen its view with ``city=``."""
    w = city_world
    p = _as(anonymous_client, "prov_reg")
    everyone = all_grades(p)
    other_city = next(e["uscc"] for e in everyone if e["city_code"] == w["other"])
    mine_city = next(e["uscc"] for e in everyone if e["city_code"] == w["mine"])
    assert other_city in p.get("/risk").text and mine_city in p.get("/risk").text
    p.cookies.set("lingqu_city", w["mine"])
    page = p.get("/risk").text
    assert mine_city in page and other_city not in page
    assert other_city in p.get("/risk", params={"city": w["other"]}).text  # the URL's own city wins
    c = _as(anonymous_client, "city_reg")
    assert other_city not in c.get("/risk", params={"city": w["other"]}).text
    assert p.get("/alerts").status_code == 200
