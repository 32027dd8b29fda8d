"""The acceptance-sampling API (/api/v1/sampling) and the tool page (/tools/acceptance)."""

from __future__ import annotations

import pytest



@pytest.fixture
def client(app_client):
    """Logged in as an admin (product lines are regulator/admin records)."""
    return app_client


def test_plan_endpoint_answers_the_table_plan(client):
    r = client.get("/api/v1/sampling/plan", params={"lot_size": 1000, "aql": "1.0", "level": "II"})
    assert r.status_code == 200
    body = r.json()
    assert (body["code_letter"], body["n"], body["ac"], body["re"]) == ("J", 80, 2, 3)  # Table 2-A row J


@pytest.mark.parametrize(("params", "field"), [
    ({"lot_size": 0, "aql": "1.0"}, "lot_size"),
    ({"lot_size": 100, "aql": "7"}, "aql"),
    ({"lot_size": 100, "aql": "1.0", "level": "V"}, "level"),
    ({"lot_size": 100, "aql": "1.0", "scheme": "triple"}, "scheme"),
])
def test_plan_endpoint_rejects_bad_input_with_the_field(client, params, field):
    r = client.get("/api/v1/sampling/plan", params=params)
    assert r.status_code == 422 and r.json()["error"]["field"] == field


def test_oc_endpoint_gives_curve_and_risk_points(client):
    r = client.get("/api/v1/sampling/oc", params={"lot_size": 1000, "aql": "1.0", "points": 11})
    body = r.json()
    assert len(body["points"]) == 11 and body["measure"] == "percent_nonconforming"
    assert 0.95 < body["quality"]["pa_at_aql"] < 0.96  # binom.cdf(2, 80, 0.01) = 0.9534


def test_line_and_lot_endpoints_keep_the_switching_state(client):
    r = client.post("/api/v1/sampling/lines", json={"code": "API-1", "aql": "0.65", "level": "II"})
    assert r.status_code == 201 and r.json()["stage"] == "normal"
    for d in (1, 2):  # lot 500 -> H: 50, 1/2: 1 accepted, 2 not accepted
        r = client.post("/api/v1/sampling/lines/API-1/lots", json={"lot_size": 500, "nonconforming": d})
        assert r.status_code == 201
    assert r.json()["accepted"] is False
    status = client.get("/api/v1/sampling/lines/API-1", params={"lot_size": 500}).json()
    assert status["next"]["stage"] == "normal" and status["line"]["lot_count"] == 2
    assert client.get("/api/v1/sampling/lines/NOPE").status_code == 404
    bad = client.post("/api/v1/sampling/lines/API-1/lots", json={"lot_size": 500, "nonconforming": 99})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "nonconforming"
    assert [x["code"] for x in client.get("/api/v1/sampling/lines").json()] == ["API-1"]


def test_tool_page_shows_the_plan_and_loads_the_vendored_chart(client):
    r = client.get("/tools/acceptance", params={"lot_size": 150, "aql": "1.5"})
    assert r.status_code == 200
    assert "F → G" in r.text and "n=32，Ac=1，Re=2" in r.text  # F arrow down to G (Table 2-A)
    assert '/static/vendor/echarts.min.js' in r.text and "cdn" not in r.text.lower()
    assert client.get("/static/vendor/echarts.min.js").status_code == 200


def test_tool_page_explains_bad_input(client):
    r = client.get("/tools/acceptance", params={"lot_size": -1, "aql": "1.5"})
    assert r.status_code == 422 and "lot_size must be at least 1" in r.text
