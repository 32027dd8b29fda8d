"""The dashboard's figures on the hand-computed world (tests/web/conftest.py), its drill-downs
and its scope. Shenzhen: 2024 is the latest year with verdicts, 9 of 10 batches passed."""

from __future__ import annotations

import pytest

from lingqu.stats.proportion import wilson_interval


def _kpi(d, key):
    return next(k for k in d["kpis"] if k["key"] == key)


def test_pass_rate_kpi_is_the_latest_year_with_its_wilson_interval(admin):
    d = admin.get("/api/v1/dashboard", params={"city": "440300"}).json()
    k = _kpi(d, "pass_rate")
    assert d["kpi_year"] == 2024 and k["n"] == 10 and k["value"] == pytest.approx(0.9)
    # Wilson 95 % interval for 9/10: 0.5958–0.9821 (R: binom::binom.confint(9, 10, methods = "wilson"))
    assert k["lower"] == pytest.approx(0.5958, abs=1e-4) and k["upper"] == pytest.approx(0.9821, abs=1e-4)
    assert k["status"] == "undetermined"  # the interval straddles the 90 % target
    assert k["drill"] == "/batches?city=440300&year=2024&passed=0"


def test_targets_without_data_say_so_instead_of_a_number(admin):
    d = admin.get("/api/v1/dashboard", params={"city": "440300"}).json()
    for key in ("known_brands", "first_pass_yield", "quality_cost"):
        k = _kpi(d, key)
        assert k["value"] is None and k["status"] == "no_data" and k["note"] == "数据待接入"
    page = admin.get("/?city=440300").text
    assert page.count("数据待接入") >= 3 and "≥ 10 个" in page and "+1.5 个百分点" in page and "−3000 万元" in page


def test_quarterly_trend_counts_and_intervals(admin):
    d = admin.get("/api/v1/dashboard", params={"city": "440300"}).json()
    trend = {p["period"]: (p["passed"], p["failed"], p["pending"]) for p in d["trend"]}
    assert trend == {
        "2022Q1": (1, 0, 0), "2022Q2": (1, 0, 0), "2022Q3": (0, 1, 0), "2022Q4": (1, 0, 0),
        "2023Q1": (1, 0, 0), "2023Q2": (0, 1, 0), "2023Q3": (1, 0, 0), "2023Q4": (0, 0, 1), "2024Q2": (9, 1, 0),
    }
    q = next(p for p in d["trend"] if p["period"] == "2024Q2")
    ref = wilson_interval(9, 10)
    assert (q["lower"], q["upper"]) == pytest.approx((ref.lower, ref.upper))
    pending_only = next(p for p in d["trend"] if p["period"] == "2023Q4")
    assert pending_only["pass_rate"] is None and pending_only["lower"] is None


def test_failing_item_pareto_with_cumulative_share(admin):
    d = admin.get("/api/v1/dashboard", params={"city": "440300"}).json()
    rows = [(r["test_item"], r["failures"], r["cumulative"]) for r in d["pareto"]]
    # 转换效率 failed on SZ2022-B and SZ2023-E; 标识 on B; 输出电压 on I10: 4 failures in all
    assert rows[0] == ("转换效率", 2, 0.5)
    assert {r[0] for r in rows[1:]} == {"标识", "输出电压"} and [r[1] for r in rows[1:]] == [1, 1]
    assert [r[2] for r in rows] == [0.5, 0.75, 1.0]


def test_pass_rate_by_district_and_province_view(admin):
    d = admin.get("/api/v1/dashboard", params={"city": "440300"}).json()
    by = {r["district"]: (r["passed"], r["failed"], r["pending"]) for r in d["districts"]}
    assert by == {"龙华区": (12, 1, 1), "宝安区": (1, 2, 0), "南山区": (1, 0, 0)}
    province = admin.get("/api/v1/dashboard", params={"city": ""}).json()
    assert province["city"] is None
    labels = {r["label"]: (r["passed"], r["failed"]) for r in province["districts"]}
    assert labels["东莞市长安镇"] == (0, 1) and labels["深圳市宝安区"] == (1, 2)
    assert _kpi(province, "pass_rate")["n"] == 10  # 2024: only Shenzhen sampled


def test_grade_distribution_uses_each_enterprises_latest_grade(admin):
    d = admin.get("/api/v1/dashboard", params={"city": "440300"}).json()
    assert [(g["grade"], g["enterprises"]) for g in d["grades"]] == [("A", 1), ("D", 1)]  # 华强's B is superseded
    assert d["grades_as_of"] == "2025-01-01"
    assert admin.get("/api/v1/dashboard", params={"city": "441900"}).json()["grades"] == []


def test_dashboard_page_draws_every_chart_with_drill_down_links(admin):
    r = admin.get("/?city=440300")
    assert r.status_code == 200
    for chart in ("chart-trend", "chart-pareto", "chart-grades", "chart-districts"):
        assert f'id="{chart}"' in r.text
    assert '/batches?city=440300&amp;test_item=%E8%BD%AC%E6%8D%A2%E6%95%88%E7%8E%87&amp;passed=0' in r.text
    assert '/enterprises?city=440300&amp;grade=D' in r.text
    assert '/batches?city=440300&amp;year=2024&amp;quarter=2' in r.text
    assert 'src="/static/vendor/echarts.min.js"' in r.text


def test_drill_down_from_the_pareto_lists_exactly_the_failing_batches_and_their_enterprises(admin, world):
    body = admin.get("/api/v1/batches", params={"city": "440300", "test_item": "转换效率", "passed": "0"}).json()
    assert body["total"] == 2 and [b["batch_no"] for b in body["items"]] == ["SZ2023-E", "SZ2022-B"]
    assert body["items"][1]["failed_items"] == ["标识", "转换效率"]
    ents = admin.get("/api/v1/enterprises", params={"city": "440300", "test_item": "转换效率", "passed": "0"}).json()
    assert [e["uscc"] for e in ents["items"]] == [world.huaqiang]
    tested = admin.get("/api/v1/batches", params={"city": "440300", "test_item": "转换效率"}).json()
    assert tested["total"] == 16  # every power-bank batch with a verdict is tested on it


def test_drill_down_by_quarter_district_grade_and_verdict(admin, world):
    q = admin.get("/api/v1/batches", params={"city": "440300", "year": "2024", "quarter": "2"}).json()
    assert q["total"] == 10
    failed = admin.get("/api/v1/batches", params={"city": "440300", "year": "2024", "quarter": "2", "passed": "0"}).json()
    assert [b["batch_no"] for b in failed["items"]] == ["SZ2024-I10"]
    d = admin.get("/api/v1/batches", params={"city": "440300", "district": "宝安区"}).json()
    assert {b["batch_no"] for b in d["items"]} == {"SZ2022-A", "SZ2022-B", "SZ2023-E"}
    graded = admin.get("/api/v1/enterprises", params={"city": "440300", "grade": "D"}).json()
    assert [e["uscc"] for e in graded["items"]] == [world.huaqiang]
    in_2024 = admin.get("/api/v1/enterprises", params={"year": "2024"}).json()
    assert [e["uscc"] for e in in_2024["items"]] == [world.anxin]


def test_batch_list_pages_on_the_server(admin):
    first = admin.get("/api/v1/batches", params={"city": "440300", "page_size": "5"}).json()
    assert first["total"] == 18 and len(first["items"]) == 5
    assert first["items"][0]["batch_no"] == "SZ2024-I10"  # newest first
    last = admin.get("/api/v1/batches", params={"city": "440300", "page_size": "5", "page": "4"}).json()
    assert len(last["items"]) == 3
    page = admin.get("/batches", params={"city": "440300"})
    assert page.status_code == 200 and "共 18 个批次" in page.text and "SZ2024-I10" in page.text


@pytest.mark.parametrize("params,field", [
    ({"quarter": "2"}, "quarter"), ({"year": "20x4"}, "year"), ({"passed": "maybe"}, "passed"),
    ({"year": "2024", "quarter": "5"}, "quarter"),
])
def test_bad_drill_down_parameters_name_the_field(admin, params, field):
    r = admin.get("/api/v1/batches", params=params)
    assert r.status_code == 422 and r.json()["error"]["field"] == field
    assert admin.get("/batches", params=params).status_code == 422


def test_city_regulator_sees_its_city_and_is_refused_another(as_user):
    client = as_user("regulator", city_code="441900")
    d = client.get("/api/v1/dashboard").json()
    assert d["city"]["code"] == "441900" and [c["code"] for c in d["cities"]] == ["441900"]
    assert {r["district"] for r in d["districts"]} == {"长安镇"}
    assert client.get("/api/v1/dashboard", params={"city": "440300"}).status_code == 403
    assert client.get("/", params={"city": "440300"}).status_code == 403
    assert client.get("/api/v1/batches", params={"city": "440300"}).status_code == 403
    assert [b["batch_no"] for b in client.get("/api/v1/batches").json()["items"]] == ["DG2023-K"]


def test_dashboard_redirects_enterprise_users_to_their_portal(as_user, world):
    client = as_user("enterprise", uscc=world.huaqiang)
    from lingqu.app import iter_routes

    r = client.get("/", follow_redirects=False)
    served = {p for p, _, _ in iter_routes()}
    assert r.status_code == 303 and r.headers["location"] == ("/my" if "/my" in served else f"/enterprises/{world.huaqiang}")
    assert client.get("/api/v1/dashboard").status_code == 403
    assert client.get("/batches").status_code == 403
