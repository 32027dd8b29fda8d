"""The search page and GET /api/v1/standards/search: shape, filters, paging, highlighting, safety."""

from __future__ import annotations

import re

from lingqu.db.engine import unit_of_work
from lingqu.reference.models import Standard

API = "/api/v1/standards/search"


def test_api_returns_the_issue_shape_with_the_adopting_standard_first(app_client):
    body = app_client.get(API, params={"q": "ISO 13485"}).json()
    assert body["results"][0]["code"] in {"YY/T 0287-2017", "GB/T 42061-2022"}  # both adopt ISO 13485:2016 IDT
    assert set(body["results"][0]) == {"code", "title_zh", "title_en", "status", "score"}
    assert body["total"] >= 1 and body["limit"] == 10 and body["offset"] == 0


def test_api_status_and_domain_filters(app_client):
    body = app_client.get(API, params={"q": "9706.1", "status": "current"}).json()
    assert [r["code"] for r in body["results"]] == ["GB 9706.1-2020"]
    body = app_client.get(API, params={"q": "电池", "domain": "power_bank", "limit": 50}).json()
    codes = {r["code"] for r in body["results"]}
    assert "GB 31241-2022" in codes
    with unit_of_work() as s:
        domains = {c: d for c, d in s.query(Standard.code, Standard.domain)}
    assert all(domains[c] == "power_bank" for c in codes)


def test_api_pages_do_not_overlap_and_cover_the_total(app_client):
    first = app_client.get(API, params={"q": "生物学评价", "limit": 3}).json()
    second = app_client.get(API, params={"q": "生物学评价", "limit": 3, "offset": 3}).json()
    assert first["total"] == second["total"] > 3
    a, b = [r["code"] for r in first["results"]], [r["code"] for r in second["results"]]
    assert len(a) == 3 and not set(a) & set(b)
    everything = app_client.get(API, params={"q": "生物学评价", "limit": 100}).json()
    assert everything["total"] <= 100, "pick a query with at most one API page of hits"
    assert [r["code"] for r in everything["results"]][:6] == a + b
    assert len(everything["results"]) == everything["total"]


def test_api_unknown_status_is_a_422_naming_the_field(app_client):
    r = app_client.get(API, params={"q": "电池", "status": "valid"})
    assert r.status_code == 422 and "status" in r.text


def test_api_syntax_characters_and_empty_query_answer_an_empty_list(app_client):
    for q in ['"(AND:*~^', "", "😀🔋", "x" * 10_000]:
        r = app_client.get(API, params={"q": q})
        assert r.status_code == 200 and r.json()["results"] == [], q


def test_page_highlights_matches_and_links_each_code(app_client):
    page = app_client.get("/standards/search", params={"q": "移动电源"}).text
    assert "<h1>标准检索</h1>" in page
    assert "<mark>移动电源</mark>" in page
    assert 'href="/standards/GB/T%2035590-2017"' in page
    assert re.search(r"共找到 \d+ 条标准", page)


def test_page_highlights_a_number_in_any_spelling_and_english_words(app_client):
    page = app_client.get("/standards/search", params={"q": "gb9706.1 medical"}).text
    assert "<mark>GB 9706.1-2020</mark>" in page
    assert "<mark>Medical</mark>" in page


def test_page_escapes_a_title_that_holds_markup(app_client):
    with unit_of_work() as s:
        s.add(Standard(code="GB 99998-2025", title_zh='<script>alert("x")</script>移动电源测试', title_en="<img src=x onerror=alert(1)> power bank",
                       status="current", domain="power_bank"))
    page = app_client.get("/standards/search", params={"q": "gb99998 <script>"}).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;<mark>script</mark>&gt;" in page or "&lt;script&gt;" in page
    assert "GB 99998-2025" in page


def test_page_query_is_echoed_escaped(app_client):
    page = app_client.get("/standards/search", params={"q": '"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in page


def test_page_paginates_with_links_that_keep_the_filters(app_client):
    with unit_of_work() as s:
        for i in range(25):
            s.add(Standard(code=f"GB/T {41000 + i}-2024", title_zh=f"榫卯家具 第{i + 1}部分：安全要求", title_en="Mortise-and-tenon furniture",
                           status="current", domain="general"))
    first = app_client.get("/standards/search", params={"q": "榫卯家具", "status": "current"}).text
    assert "共找到 25 条标准，第 1 / 2 页" in first
    nxt = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "status=current" in nxt and "page=2" in nxt and "q=" in nxt
    second = app_client.get(nxt).text
    assert "第 2 / 2 页" in second and 'rel="prev"' in second
    codes = lambda page: set(re.findall(r"GB/T 410\d\d-2024", page))  # noqa: E731
    assert len(codes(first)) == 20 and len(codes(second)) == 5 and not codes(first) & codes(second)
    beyond = app_client.get("/standards/search", params={"q": "榫卯家具", "page": "3"}).text
    assert "本页没有结果" in beyond


def test_page_filters_offer_statuses_and_the_domains_present(app_client):
    page = app_client.get("/standards/search").text
    assert 'value="current"' in page and 'value="superseded"' in page
    assert 'value="medical_device"' in page
    assert "请输入关键词或标准号" in page


def test_page_with_a_bad_page_number_shows_the_error_page(app_client):
    r = app_client.get("/standards/search", params={"q": "电池", "page": "abc"})
    assert r.status_code == 422 and "页码" in r.text


def test_page_in_english(app_client):
    app_client.cookies.set("lang", "en")
    page = app_client.get("/standards/search", params={"q": "移动电源"}).text
    assert "Standards search" in page and "standards found" in page


def test_search_path_is_not_read_as_a_standard_number(app_client):
    """Guards the route order once /standards/{code} exists: 'search' must reach the search page."""
    r = app_client.get("/standards/search")
    assert r.status_code == 200 and "标准检索" in r.text
    assert app_client.get(API).json() == {"results": [], "total": 0, "limit": 10, "offset": 0}
