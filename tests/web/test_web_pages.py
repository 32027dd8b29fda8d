"""The server-rendered pages: overview, enterprise list, enterprise detail, the 404 page."""

from __future__ import annotations

import re
from html import unescape

from lingqu.kit.identifiers import make_uscc


def _text(html: str) -> str:
    """The page's visible text with tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _rows(html: str) -> list[str]:
    return [_text(r).strip() for r in re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S)]


def test_overview_page_is_chinese_with_layout_and_stylesheet(client):
    r = client.get("/overview")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in r.text
    assert 'href="/static/lingqu.css"' in r.text
    assert not re.search(r'(src|href)="(https?:)?//', r.text)  # nothing from outside
    text = _text(r.text)
    assert "深圳市 · 质量总览" in text
    assert "总览" in text and "企业" in text


def test_overview_page_shows_pass_rate_per_year_against_the_target(client):
    rows = _rows(client.get("/overview").text)
    assert "2022年 4 3 1 75.0% 未达标" in rows
    assert "2023年 4 2 1 66.7% 未达标" in rows
    assert "2024年 10 9 1 90.0% 达标" in rows
    assert "合计 18 14 3 82.4%" in rows
    text = _text(client.get("/overview").text)
    assert "目标 ≥ 90%" in text
    assert "抽检批次 18" in text and "不合格批次 3" in text
    assert "企业数 3 移动电源 2 医疗器械 1" in text


def test_overview_page_lists_top_failing_items(client):
    rows = _rows(client.get("/overview").text)
    assert "1 转换效率 2 16 12.5%" in rows
    assert "2 标识 1 16 6.2%" in rows  # 1 / 16 = 6.25 %, shown to one decimal (half to even)


def test_overview_page_switches_between_the_six_cities(client):
    html = client.get("/overview?city=441900").text
    for code in ("440300", "440100", "441900", "441300", "442000", "440700"):
        assert f'href="/overview?city={code}"' in html
    assert re.search(r'href="/overview\?city=441900" aria-current="page">东莞市', html)
    assert "2023年 1 0 1 0.0% 未达标" in _rows(html)


def test_overview_page_of_a_city_without_sampling_says_so(client):
    text = _text(client.get("/overview?city=440700").text)
    assert "江门市暂无抽检数据" in text


def test_overview_page_with_unknown_city_is_a_chinese_error_page(client):
    r = client.get("/overview?city=123456")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert "请求参数有误" in r.text and "未知的城市代码" in r.text


def test_enterprise_list_page_shows_rows_with_aggregates(client, world):
    r = client.get("/enterprises", params={"city": "440300"})
    assert r.status_code == 200
    text = _text(r.text)
    assert "共 3 家企业" in text
    assert f"{world.huaqiang} 深圳市华强电源科技有限公司 深圳市 宝安区 移动电源 3 2023-06-20 2" in _rows(r.text)
    assert f'href="/enterprises/{world.huaqiang}"' in r.text


def test_enterprise_list_page_search_hit_and_miss(client, world):
    hit = client.get("/enterprises", params={"q": "力宝"})
    assert "共 1 家企业" in _text(hit.text) and world.libao in hit.text
    miss = client.get("/enterprises", params={"q": "没有这家"})
    assert "共 0 家企业" in _text(miss.text)
    assert "没有找到符合条件的企业" in miss.text


def test_enterprise_list_page_paginates_and_keeps_filters_in_links(client):
    first = client.get("/enterprises", params={"city": "440100"})
    text = _text(first.text)
    assert "共 120 家企业，第 1 / 3 页" in text
    assert len(re.findall(r'<td class="code">', first.text)) == 50
    assert 'href="/enterprises?city=440100&amp;page=2" rel="next"' in first.text
    last = client.get("/enterprises", params={"city": "440100", "page": 3})
    assert len(re.findall(r'<td class="code">', last.text)) == 20
    assert 'href="/enterprises?city=440100&amp;page=2" rel="prev"' in last.text
    assert 'rel="next"' not in last.text


def test_enterprise_list_page_offers_filter_choices(client):
    html = client.get("/enterprises", params={"city": "440300", "district": "龙华区"}).text
    assert '<option value="440300" selected>深圳市</option>' in html
    assert '<option value="龙华区" selected>龙华区</option>' in html
    assert '<option value="宝安区">宝安区</option>' in html
    assert "番禺区" not in html  # districts of the chosen city only
    assert '<option value="medical_device">医疗器械</option>' in html


def test_enterprise_list_page_with_bad_page_is_an_error_page(client):
    r = client.get("/enterprises?page=0")
    assert r.status_code == 422
    assert "page" in r.text and "请求参数有误" in r.text


def test_enterprise_detail_page_lists_history_and_failed_items(client, world):
    r = client.get(f"/enterprises/{world.huaqiang}")
    assert r.status_code == 200
    html = r.text
    rows = _rows(html)
    assert "SZ2023-E 2023-06-20 移动电源 华强 HQ-5000 实体销售 不合格 转换效率" in rows
    assert "SZ2022-B 2022-09-15 移动电源 华强 HQ-20000 网络销售 不合格 标识、转换效率" in rows
    assert "SZ2022-A 2022-03-01 移动电源 测试牌 PB-10000 网络销售 合格 —" in rows
    assert html.index("SZ2023-E") < html.index("SZ2022-B") < html.index("SZ2022-A")  # newest first
    text = _text(html)
    assert "抽检批次 3" in text and "不合格批次 2" in text and "合格率 33.3%" in text
    assert "2021010901234567" in text and "有效" in text
    assert "TS-2023-0001" in text and "充电时外壳发烫鼓包" in text
    assert "BF-2023-007" in text and "深圳市计量质量检测研究院" in text


def test_enterprise_detail_page_omits_empty_sections(client, world):
    text = _text(client.get(f"/enterprises/{world.mairui}").text)
    assert "SZ2023-G" in text and "电子血压计" in text
    assert "证书" not in text and "投诉" not in text and "帮扶记录" not in text


def test_unknown_enterprise_is_a_404_page_in_chinese(client):
    unknown = make_uscc("440300", "MA000000")
    r = client.get(f"/enterprises/{unknown}")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in r.text
    assert f"找不到统一社会信用代码为 {unknown} 的企业" in r.text


def test_invalid_uscc_is_a_404_page_that_says_why(client):
    r = client.get("/enterprises/91440300MA5D00016X")  # wrong check character
    assert r.status_code == 404
    assert "不是有效的统一社会信用代码" in r.text and "校验位错误" in r.text


def test_stylesheet_is_served(client):
    r = client.get("/static/lingqu.css")
    assert r.status_code == 200
    assert "font-family" in r.text


def test_overview_page_of_the_whole_province_adds_up_every_city(client):
    html = client.get("/overview?city=").text
    text, rows = _text(html), _rows(html)
    assert "全省 · 质量总览" in text
    assert re.search(r'href="/overview\?city=" aria-current="page">全省', html)
    # Shenzhen's batches plus Dongguan's 2023 failure (K); 120 Guangzhou fillers without batches
    assert "2023年 5 2 2 50.0% 未达标" in rows
    assert "合计 19 14 4 77.8%" in rows
    assert "企业数 124" in text
    assert "1 转换效率 3 17 17.6%" in rows
    # the switcher's cookie for 全省 gives the same page; a city in the URL still wins
    client.cookies.set("lingqu_city", "all")
    try:
        assert "全省 · 质量总览" in _text(client.get("/overview").text)
        assert "东莞市 · 质量总览" in _text(client.get("/overview?city=441900").text)
    finally:
        client.cookies.delete("lingqu_city")
