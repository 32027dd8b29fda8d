"""Exports (CSV with BOM, XLSX) carry the page's filters and row scope; the city switcher and the
language toggle; the enterprise timeline; the dashboard cache follows the data."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from lingqu.db.engine import unit_of_work
from lingqu.enterprise.models import Enterprise
from lingqu.sampling.models import Batch


def _csv(r) -> list[list[str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, so Excel reads the Chinese
    assert "attachment" in r.headers["content-disposition"]
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def _xlsx(r) -> dict[str, list[tuple]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_batch_export_has_the_page_filters_and_all_pages(admin):
    rows = _csv(admin.get("/batches", params={"city": "440300", "test_item": "转换效率", "passed": "0", "format": "csv"}))
    assert rows[0][:4] == ["抽样编号", "抽样日期", "统一社会信用代码", "企业名称"]
    assert [r[0] for r in rows[1:]] == ["SZ2023-E", "SZ2022-B"]
    assert rows[2][10] == "不合格" and rows[2][12] == "标识、转换效率"
    everything = _csv(admin.get("/batches", params={"city": "440300", "format": "csv"}))
    assert len(everything) == 1 + 18  # every page, not just the first 50 / the current one
    sheets = _xlsx(admin.get("/batches", params={"city": "441900", "format": "xlsx"}))
    (rows,) = sheets.values()
    assert rows[1][0] == "DG2023-K" and rows[1][1] == dt.datetime(2023, 7, 7)  # a real date cell


def test_enterprise_list_export_matches_the_filters(admin, world):
    rows = _csv(admin.get("/enterprises", params={"city": "440300", "format": "csv"}))
    assert rows[0] == ["统一社会信用代码", "企业名称", "城市", "区县", "产业集群", "抽检批次", "不合格批次", "最近抽检"]
    assert {r[0] for r in rows[1:]} == {world.huaqiang, world.anxin, world.mairui}
    hq = next(r for r in rows if r[0] == world.huaqiang)
    assert hq[1:] == ["深圳市华强电源科技有限公司", "深圳市", "宝安区", "移动电源", "3", "2", "2023-06-20"]
    gz = _csv(admin.get("/enterprises", params={"city": "440100", "format": "csv"}))
    assert len(gz) == 1 + 120  # all 120, though the page shows 50


def test_an_enterprise_user_exports_only_its_own_rows(as_user, world):
    client = as_user("enterprise", uscc=world.huaqiang)
    rows = _csv(client.get("/enterprises", params={"format": "csv"}))
    assert [r[0] for r in rows[1:]] == [world.huaqiang]
    rows = _csv(client.get("/enterprises", params={"format": "csv", "city": "440100"}))
    assert [r[0] for r in rows[1:]] == []
    assert client.get(f"/enterprises/{world.anxin}", params={"format": "csv"}).status_code == 404
    assert client.get(f"/enterprises/{world.libao}", params={"format": "xlsx"}).status_code == 404
    assert client.get("/batches", params={"format": "csv"}).status_code == 403
    assert client.get("/", params={"format": "csv", "table": "pareto"}, follow_redirects=False).status_code == 303  # to its portal
    own = _csv(client.get(f"/enterprises/{world.huaqiang}", params={"format": "csv"}))
    assert all(r[1] != "预警" for r in own[1:])  # alerts are the regulator's records


def test_city_regulator_cannot_export_another_city(as_user):
    client = as_user("regulator", city_code="440300")
    assert client.get("/batches", params={"city": "441900", "format": "csv"}).status_code == 403
    assert client.get("/enterprises", params={"city": "441900", "format": "xlsx"}).status_code == 403
    assert client.get("/", params={"city": "441900", "format": "xlsx"}).status_code == 403
    rows = _csv(client.get("/batches", params={"format": "csv"}))
    assert {r[4] for r in rows[1:]} == {"深圳市"}


def test_dashboard_exports_each_table_and_all_as_sheets(admin):
    rows = _csv(admin.get("/", params={"city": "440300", "format": "csv", "table": "pareto"}))
    assert rows == [["检验项目", "不合格次数", "占比%", "累计占比%"], ["转换效率", "2", "50.0", "50.0"],
                    rows[2], rows[3]] and rows[3][3] == "100.0"
    kpis = _csv(admin.get("/", params={"city": "440300", "format": "csv", "table": "kpis"}))
    assert kpis[1][:2] == ["抽检合格率", "90.0"] and kpis[2][6] == "数据待接入"
    sheets = _xlsx(admin.get("/", params={"city": "440300", "format": "xlsx"}))
    assert list(sheets) == ["目标指标", "季度趋势", "不合格项目排列图", "各区合格率", "风险等级分布"]
    assert sheets["风险等级分布"][1:] == [("A", "A 低风险", 1, 50.0), ("D", "D 高风险", 1, 50.0)]
    r = admin.get("/", params={"format": "csv"})
    assert r.status_code == 422 and "table" in r.text
    assert admin.get("/", params={"format": "pdf"}).status_code == 422


def test_pass_rate_and_overview_export(admin):
    rows = _csv(admin.get("/stats/pass-rate", params={"by": "year", "city": "440300", "format": "csv"}))
    assert rows[0][0] == "年度" and ["2024年", "", "10", "1", "90.0"] == rows[3][:5]
    assert rows[-1][0] == "合计"
    sheets = _xlsx(admin.get("/overview", params={"city": "440300", "format": "xlsx"}))
    assert sheets["历年抽检情况"][1] == (2022, 4, 3, 1, 75.0)


def test_export_headers_follow_the_language(admin):
    admin.cookies.set("lang", "en")
    rows = _csv(admin.get("/", params={"city": "440300", "format": "csv", "table": "pareto"}))
    assert rows[0] == ["Test item", "Failures", "Share %", "Cumulative share %"]


def test_enterprise_timeline_has_batches_with_items_and_every_record(admin, world):
    body = admin.get(f"/api/v1/enterprises/{world.huaqiang}/timeline").json()
    kinds = [(e["on"], e["kind"]) for e in body["events"]]
    assert kinds[:2] == [("2025-01-01", "grade"), ("2024-01-01", "grade")]  # newest first
    assert {k for _, k in kinds} == {"batch", "certificate", "complaint", "assistance", "grade", "alert"}
    b = next(e for e in body["events"] if e["title"].endswith("SZ2022-B"))
    assert b["bad"] and {(i["test_item"], i["passed"]) for i in b["items"]} == {("转换效率", False), ("标识", False), ("输出电压", True)}
    alert = next(e for e in body["events"] if e["kind"] == "alert")
    assert alert["on"] == "2023-06-20" and alert["bad"]
    page = admin.get(f"/enterprises/{world.huaqiang}").text
    assert 'id="timeline"' in page and "风险等级 D" in page and "转换效率多次不合格" in page
    rows = _csv(admin.get(f"/enterprises/{world.huaqiang}", params={"format": "csv"}))
    assert rows[0] == ["日期", "类别", "事项", "说明", "检验项目"] and len(rows) == 1 + len(body["events"])


def test_city_switcher_is_remembered_and_honoured_by_pages_and_exports(admin):
    r = admin.get("/city", params={"code": "441900", "next": "/batches"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/batches"
    assert admin.cookies.get("lingqu_city") == "441900"
    page = admin.get("/batches").text
    assert "共 1 个批次" in page and "DG2023-K" in page
    assert [r[0] for r in _csv(admin.get("/batches", params={"format": "csv"}))[1:]] == ["DG2023-K"]
    assert "东莞市 · 监管看板" in admin.get("/").text
    assert '<a href="/city?code=441900&amp;next=%2F" aria-current="true">东莞市</a>' in admin.get("/").text
    assert "共 1 家企业" in admin.get("/enterprises").text
    assert "共 3 家企业" in admin.get("/enterprises", params={"city": "440300"}).text  # the URL's own city wins
    admin.get("/city", params={"code": "all"})
    assert "全省 · 监管看板" in admin.get("/").text


def test_city_bound_regulator_switcher_shows_only_its_city(as_user):
    client = as_user("regulator", city_code="440300")
    page = client.get("/").text
    switcher = page[page.index('class="city-switcher"'):]
    switcher = switcher[:switcher.index("</nav>")]
    assert "深圳市" in switcher and "广州市" not in switcher and "全省" not in switcher
    assert client.get("/city", params={"code": "440100"}, follow_redirects=False).status_code == 403
    assert client.get("/city", params={"code": "all"}, follow_redirects=False).status_code == 403
    client.cookies.set("lingqu_city", "440100")  # a forged cookie changes nothing
    assert "深圳市 · 监管看板" in client.get("/").text


def test_language_toggle_sets_the_cookie_and_translates(admin, anonymous_client):
    r = admin.get("/lang", params={"to": "en", "next": "/?city=440300"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/?city=440300"
    assert admin.cookies.get("lang") == "en"
    page = admin.get("/", params={"city": "440300"}).text
    assert '<html lang="en">' in page and "Shenzhen · regulator dashboard" in page and "Log out" in page
    assert "Dashboard" in page and "No data yet" in page
    assert "Enterprises" in admin.get("/enterprises").text
    admin.get("/lang", params={"to": "zh"})
    assert "深圳市 · 监管看板" in admin.get("/", params={"city": "440300"}).text
    r = anonymous_client.get("/lang", params={"to": "en", "next": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/"  # never off-site


def test_dashboard_cache_follows_new_data(admin, db_url):
    before = admin.get("/api/v1/dashboard", params={"city": "441900"}).json()
    assert [(p["period"], p["failed"]) for p in before["trend"]] == [("2023Q3", 1)]
    with unit_of_work(db_url) as s:
        lb = s.query(Enterprise).filter(Enterprise.city_code == "441900").one()
        s.add(Batch(batch_no="DG2025-N", enterprise_id=lb.id, sampled_on=dt.date(2025, 2, 1), city_code="441900",
                    district="长安镇", passed=True, item_count=0, failed_count=0))
    after = admin.get("/api/v1/dashboard", params={"city": "441900"}).json()
    assert [(p["period"], p["passed"]) for p in after["trend"]] == [("2023Q3", 0), ("2025Q1", 1)]
    assert after["kpi_year"] == 2025
