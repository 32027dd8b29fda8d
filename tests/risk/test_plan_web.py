"""The risk ranking page, the plan page and their API, through the real app."""

from __future__ import annotations

import re

import pytest

from lingqu.db.engine import unit_of_work
from tests.conftest import log_in, make_user
from tests.risk.test_grade import AS_OF, load, small_world  # noqa: F401


@pytest.fixture
def risk_client(db_url, small_world, anonymous_client):  # noqa: F811
    from lingqu.risk.service import grade_enterprises

    load(small_world, db_url)
    with unit_of_work(db_url) as s:
        grade_enterprises(s, AS_OF)
    make_user(db_url, "prov", "admin")
    log_in(anonymous_client, "prov")
    return anonymous_client


def test_grades_api_page_and_plan_draw(risk_client):
    grades = risk_client.get("/api/v1/risk/grades").json()
    assert grades["as_of"] == AS_OF.isoformat() and grades["grades"][0]["reasons"]
    page = risk_client.get("/risk")
    assert page.status_code == 200 and grades["grades"][0]["name"] in page.text
    body = {"budget": 10, "period": "2025Q1", "seed": 3}
    a = risk_client.post("/api/v1/plan/draw", json=body).json()
    b = risk_client.post("/api/v1/plan/draw", json=body).json()
    assert len(a["enterprises"]) == 10 and a["enterprises"] == b["enterprises"] and b["status"] == "unchanged"
    form = risk_client.get("/plan")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    shown = risk_client.post("/plan", data={**{k: str(v) for k, v in body.items()}, "csrf_token": token})
    assert shown.status_code == 200 and a["enterprises"][0]["uscc"] in shown.text
    bad = risk_client.post("/plan", data={**{k: str(v) for k, v in body.items()}, "csrf_token": "forged"})
    assert bad.status_code == 403
