"""The regulator's portal in a real browser: log in, read the dashboard, click a chart to drill
down to the batches behind it, export them, switch city (admin: province-wide) and language, log
out. Screenshots of each step go to test-artifacts/screenshots/."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .conftest import assert_logged_out, log_in_as, screenshot


def _click_chart_item(page, chart_id: str, index: int) -> None:
    """Click the ``index``-th bar of the chart's first series (ECharts draws on a canvas, so
    the point is found through the chart's own coordinate conversion)."""
    page.wait_for_function(f"window.echarts && echarts.getInstanceByDom(document.getElementById('{chart_id}'))")
    x, y = page.evaluate(f"""() => {{
        const c = echarts.getInstanceByDom(document.getElementById('{chart_id}'));
        const v = c.getOption().series[0].data[{index}];
        return c.convertToPixel({{seriesIndex: 0}}, [{index}, v / 2]);
    }}""")
    page.locator(f"#{chart_id}").scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # let the bars' entrance animation finish
    box = page.locator(f"#{chart_id}").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y)


def test_regulator_dashboard_drill_down_export_language_and_logout(page, live_server):
    regulator = log_in_as(page, live_server, "regulator")
    assert urlsplit(page.url).path == "/"
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="深圳市 · 监管看板").is_visible()
    kpis = page.locator("section.kpis").inner_text()
    assert "抽检合格率" in kpis and kpis.count("数据待接入") == 3
    switcher = page.locator("header .city-switcher").inner_text()
    assert "深圳市" in switcher and "广州市" not in switcher  # a city regulator is fixed to its city
    screenshot(page, "regulator-dashboard")

    first_item = page.locator("#table-pareto tbody tr").first.locator("td").first.inner_text().strip()
    _click_chart_item(page, "chart-pareto", 0)
    url = urlsplit(page.url)
    assert url.path == "/batches"
    assert parse_qs(url.query) == {"city": ["440300"], "test_item": [first_item], "passed": ["0"]}
    rows = page.locator("#batch-table tbody tr")
    assert rows.count() > 0
    for cell in rows.locator("td:nth-child(9)").all_inner_texts()[:10]:
        assert first_item in cell  # every listed batch failed the clicked item
    screenshot(page, "regulator-drill-down-batches")

    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").first.click()
    download = info.value
    content = open(download.path(), "rb").read()
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("抽样编号,抽样日期,统一社会信用代码")
    total = int(page.locator("p.summary").inner_text().split("共")[1].split("个")[0].strip())
    assert len(lines) == 1 + total

    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Batches").is_visible()
    assert "Dashboard" in page.locator("header nav").first.inner_text()
    screenshot(page, "regulator-batches-english")
    with page.expect_navigation():
        page.get_by_role("link", name="中文").click()
    assert page.get_by_role("heading", name="抽检批次").is_visible()

    with page.expect_navigation():
        page.locator("header.site").get_by_role("button", name="退出").click()
    assert_logged_out(page)
    screenshot(page, "regulator-logged-out")


def test_province_wide_user_switches_city_and_it_sticks(page, live_server):
    admin = log_in_as(page, live_server, "admin")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="全省 · 监管看板").is_visible()
    with page.expect_navigation():
        page.locator("header .city-switcher").get_by_role("link", name="东莞市").click()
    assert page.get_by_role("heading", name="东莞市 · 监管看板").is_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "admin-dashboard-dongguan")
    page.goto(f"{live_server}/batches")
    assert page.locator("select[name=city]").input_value() == "441900"
    cities = set(page.locator("#batch-table tbody td:nth-child(4)").all_inner_texts())
    assert cities and all(c.startswith("东莞市") for c in cities)
    page.goto(f"{live_server}/enterprises")
    assert page.locator("select[name=city]").input_value() == "441900"
