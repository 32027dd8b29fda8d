"""The JSON API under /api/v1: overview, enterprise search, one enterprise, its batches.

Expected numbers are worked out by hand from the world described in conftest.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from lingqu.db.engine import get_engine
from lingqu.kit.identifiers import make_uscc


# --- overview ---------------------------------------------------------------------------------

def test_overview_defaults_to_shenzhen_with_per_year_pass_rates(client):
    r = client.get("/api/v1/overview")
    assert r.status_code == 200
    o = r.json()
    assert o["city"] == {"code": "440300", "name": "深圳市"}
    assert [c["code"] for c in o["cities"]] == ["440100", "440300", "440700", "441300", "441900", "442000"]
    assert o["target_pass_rate"] == 0.9
    years = {y["year"]: y for y in o["years"]}
    assert list(years) == [2022, 2023, 2024]
    assert (years[2022]["batches"], years[2022]["passed_batches"], years[2022]["failed_batches"]) == (4, 3, 1)
    assert years[2022]["pass_rate"] == pytest.approx(0.75)
    assert years[2022]["meets_target"] is False
    # 2023: E failed, F and G passed, H has no verdict yet: sampled 4, rate 2 / 3
    assert (years[2023]["batches"], years[2023]["passed_batches"], years[2023]["failed_batches"]) == (4, 2, 1)
    assert years[2023]["pass_rate"] == pytest.approx(2 / 3)
    # 2024: 9 of 10 passed, exactly the 90 % target
    assert (years[2024]["batches"], years[2024]["failed_batches"]) == (10, 1)
    assert years[2024]["pass_rate"] == pytest.approx(0.9)
    assert years[2024]["meets_target"] is True
    total = o["all_years"]
    assert (total["batches"], total["passed_batches"], total["failed_batches"]) == (18, 14, 3)
    assert total["pass_rate"] == pytest.approx(14 / 17)


def test_overview_counts_enterprises_per_cluster_in_the_city_only(client):
    o = client.get("/api/v1/overview?city=440300").json()
    assert o["enterprises"] == 3
    assert [(c["cluster"], c["cluster_label"], c["enterprises"]) for c in o["enterprises_by_cluster"]] == [
        ("power_bank", "移动电源", 2),
        ("medical_device", "医疗器械", 1),
    ]


def test_overview_ranks_failing_items_of_the_city(client):
    items = client.get("/api/v1/overview?city=440300").json()["top_failing_items"]
    assert [(i["test_item"], i["failed"], i["tested"]) for i in items] == [
        ("转换效率", 2, 16),  # B and E; Dongguan's K is not counted
        ("标识", 1, 16),
        ("输出电压", 1, 16),
    ]
    assert items[0]["fail_rate"] == pytest.approx(2 / 16)


def test_overview_of_dongguan_counts_only_dongguan(client):
    o = client.get("/api/v1/overview", params={"city": "441900"}).json()
    assert o["city"]["name"] == "东莞市"
    assert o["enterprises"] == 1
    assert [(y["year"], y["batches"], y["failed_batches"], y["pass_rate"]) for y in o["years"]] == [(2023, 1, 1, 0.0)]
    assert [(i["test_item"], i["failed"], i["tested"]) for i in o["top_failing_items"]] == [("转换效率", 1, 1)]


def test_overview_of_a_city_without_batches_has_no_pass_rate(client):
    o = client.get("/api/v1/overview?city=440100").json()
    assert o["enterprises"] == 120
    assert o["years"] == []
    assert o["all_years"]["batches"] == 0
    assert o["all_years"]["pass_rate"] is None
    assert o["top_failing_items"] == []


def test_overview_refuses_an_unknown_city(client):
    r = client.get("/api/v1/overview?city=110000")
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert err["field"] == "city"
    assert "110000" in err["message"]


# --- enterprise search ------------------------------------------------------------------------

def test_enterprise_list_aggregates_batches_per_enterprise(client, world):
    r = client.get("/api/v1/enterprises?city=440300")
    assert r.status_code == 200
    body = r.json()
    assert (body["total"], body["page"], body["page_size"]) == (3, 1, 50)
    rows = {row["uscc"]: row for row in body["items"]}
    hq = rows[world.huaqiang]
    assert (hq["name"], hq["city_name"], hq["district"], hq["cluster_label"]) == ("深圳市华强电源科技有限公司", "深圳市", "宝安区", "移动电源")
    assert (hq["batches"], hq["failed_batches"], hq["last_sampled_on"]) == (3, 2, "2023-06-20")
    ax = rows[world.anxin]
    assert (ax["batches"], ax["failed_batches"], ax["last_sampled_on"]) == (14, 1, "2024-05-10")
    mr = rows[world.mairui]
    assert (mr["batches"], mr["failed_batches"]) == (1, 0)


def test_enterprise_without_batches_is_listed_with_zero_batches(client):
    row = client.get("/api/v1/enterprises", params={"q": "广州市测试电源厂007"}).json()["items"]
    assert len(row) == 1
    assert (row[0]["batches"], row[0]["failed_batches"], row[0]["last_sampled_on"]) == (0, 0, None)


def test_search_by_name_substring_hits_and_misses(client, world):
    hits = client.get("/api/v1/enterprises", params={"q": "华强"}).json()
    assert [i["uscc"] for i in hits["items"]] == [world.huaqiang]
    assert hits["total"] == 1
    assert client.get("/api/v1/enterprises", params={"q": "移动电源"}).json()["total"] == 1  # name, not product
    assert client.get("/api/v1/enterprises", params={"q": "不存在的企业"}).json()["total"] == 0


def test_search_by_uscc_prefix_in_any_case(client, world):
    prefix = world.libao[:12]
    hits = client.get("/api/v1/enterprises", params={"q": prefix.lower()}).json()
    assert [i["uscc"] for i in hits["items"]] == [world.libao]
    # a USCC fragment that is not a prefix does not match
    assert client.get("/api/v1/enterprises", params={"q": world.libao[4:14]}).json()["total"] == 0


def test_search_treats_like_wildcards_literally(client):
    assert client.get("/api/v1/enterprises", params={"q": "%"}).json()["total"] == 0
    assert client.get("/api/v1/enterprises", params={"q": "_"}).json()["total"] == 0


def test_filters_by_district_and_cluster(client, world):
    by_district = client.get("/api/v1/enterprises", params={"city": "440300", "district": "宝安区"}).json()
    assert [i["uscc"] for i in by_district["items"]] == [world.huaqiang]
    by_cluster = client.get("/api/v1/enterprises", params={"cluster": "medical_device"}).json()
    assert [i["uscc"] for i in by_cluster["items"]] == [world.mairui]
    both = client.get("/api/v1/enterprises", params={"city": "441900", "cluster": "medical_device"}).json()
    assert both["total"] == 0


def test_pagination_splits_120_enterprises_into_pages_of_50(client):
    pages = [client.get("/api/v1/enterprises", params={"city": "440100", "page": p}).json() for p in (1, 2, 3, 4)]
    assert [p["total"] for p in pages] == [120, 120, 120, 120]
    assert [len(p["items"]) for p in pages] == [50, 50, 20, 0]
    names = [i["name"] for p in pages for i in p["items"]]
    assert names == [f"广州市测试电源厂{i:03d}" for i in range(1, 121)]  # ordered by name, none twice
    small = client.get("/api/v1/enterprises", params={"city": "440100", "page": 5, "page_size": 7}).json()
    assert [i["name"] for i in small["items"]] == [f"广州市测试电源厂{i:03d}" for i in range(29, 36)]
    assert client.get("/api/v1/enterprises").json()["total"] == 124


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "-3"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "201"}, "page_size"),
        ({"city": "999999"}, "city"),
        ({"q": "字" * 101}, "q"),
    ],
)
def test_enterprise_list_refuses_bad_parameters_in_the_platform_error_shape(client, params, field):
    r = client.get("/api/v1/enterprises", params=params)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "validation_error"
    assert r.json()["error"]["field"] == field


def test_page_size_200_is_allowed(client):
    body = client.get("/api/v1/enterprises", params={"page_size": 200}).json()
    assert (body["page_size"], len(body["items"]), body["total"]) == (200, 124, 124)


def test_enterprise_list_takes_the_same_number_of_queries_for_50_rows_as_for_1(client, db_url):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = get_engine(db_url)
    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get("/api/v1/enterprises", params={"city": "440100", "page_size": 1})
        one = len(statements)
        statements.clear()
        client.get("/api/v1/enterprises", params={"city": "440100", "page_size": 50})
        fifty = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert one == fifty
    assert fifty <= 4  # the session lookup, the city check, the total, the aggregated page


# --- one enterprise ---------------------------------------------------------------------------

def test_enterprise_detail_has_facts_summary_and_records(client, world):
    r = client.get(f"/api/v1/enterprises/{world.huaqiang}")
    assert r.status_code == 200
    e = r.json()
    assert (e["name"], e["city_name"], e["district"], e["cluster_label"]) == ("深圳市华强电源科技有限公司", "深圳市", "宝安区", "移动电源")
    assert (e["founded"], e["size"], e["size_label"]) == ("2012-05-08", "small", "小型")
    s = e["sampling"]
    assert (s["batches"], s["passed_batches"], s["failed_batches"]) == (3, 1, 2)
    assert s["pass_rate"] == pytest.approx(1 / 3)
    assert (s["first_sampled_on"], s["last_sampled_on"]) == ("2022-03-01", "2023-06-20")
    assert [c["certificate_no"] for c in e["certificates"]] == ["2021010901234567"]
    assert [c["complaint_no"] for c in e["complaints"]] == ["TS-2023-0001"]
    assert [a["provider"] for a in e["assistance"]] == ["深圳市计量质量检测研究院"]


def test_enterprise_detail_accepts_a_lower_case_uscc(client, world):
    r = client.get(f"/api/v1/enterprises/{world.huaqiang.lower()}")
    assert r.status_code == 200
    assert r.json()["uscc"] == world.huaqiang


def test_enterprise_with_no_records_has_empty_lists(client, world):
    e = client.get(f"/api/v1/enterprises/{world.mairui}").json()
    assert (e["certificates"], e["complaints"], e["assistance"]) == ([], [], [])
    assert e["sampling"]["pass_rate"] == 1.0


def test_unknown_and_invalid_uscc_are_not_found(client):
    unknown = make_uscc("440300", "MA000000")
    r = client.get(f"/api/v1/enterprises/{unknown}")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    assert unknown in r.json()["error"]["message"]
    bad = client.get("/api/v1/enterprises/12345")
    assert bad.status_code == 404
    assert "不是有效的统一社会信用代码" in bad.json()["error"]["message"]
    assert client.get(f"/api/v1/enterprises/{unknown}/batches").status_code == 404


def test_batches_are_newest_first_with_failed_item_names(client, world):
    r = client.get(f"/api/v1/enterprises/{world.huaqiang}/batches")
    assert r.status_code == 200
    body = r.json()
    assert (body["uscc"], body["name"], body["total"]) == (world.huaqiang, "深圳市华强电源科技有限公司", 3)
    got = [(b["batch_no"], b["sampled_on"], b["passed"], b["failed_items"]) for b in body["items"]]
    assert got == [
        ("SZ2023-E", "2023-06-20", False, ["转换效率"]),
        ("SZ2022-B", "2022-09-15", False, ["标识", "转换效率"]),
        ("SZ2022-A", "2022-03-01", True, []),
    ]
    b = body["items"][1]
    assert (b["brand"], b["model"], b["channel"], b["channel_label"]) == ("华强", "HQ-20000", "online", "网络销售")


def test_batch_without_verdict_is_listed_as_pending(client, world):
    items = client.get(f"/api/v1/enterprises/{world.anxin}/batches").json()["items"]
    assert len(items) == 14
    assert items[0]["batch_no"] == "SZ2024-I10" and items[0]["failed_items"] == ["输出电压"]
    pending = [b for b in items if b["batch_no"] == "SZ2023-H"]
    assert pending[0]["passed"] is None
