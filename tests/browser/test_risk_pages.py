"""The risk engine's pages in a real browser, on the demo world as ``lingqu init --demo`` leaves it
(twelve monthly grades and a first warning scan): the ranking and an enterprise's risk card, the
model check (back-test and calibration of the stored grades, with its chart), the alert inbox with
its evidence chart and lifecycle, and the sampling plan drawn and exported. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlsplit

from .conftest import log_in_as, screenshot


def _chart_option(page, chart_id: str) -> dict:
    """The option an ECharts chart was drawn with (the chart is a canvas: its data is read back
    from the chart instance, which exists only if the page's script ran without error)."""
    page.wait_for_function(f"window.echarts && echarts.getInstanceByDom(document.getElementById('{chart_id}'))")
    return page.evaluate(f"""() => {{
        const o = echarts.getInstanceByDom(document.getElementById('{chart_id}')).getOption();
        return {{series: o.series.map(s => ({{type: s.type, n: (s.data || []).length}}))}};
    }}""")


def test_risk_ranking_card_and_model_check(page, live_server):
    log_in_as(page, live_server, "regulator")
    page.goto(f"{live_server}/risk")
    rows = page.locator("#risk-table tbody tr")
    assert rows.count() > 0
    first = rows.first.inner_text()
    assert re.search(r"\d+\.\d%", first)  # a probability
    assert rows.first.locator("span.tag").inner_text().strip() in {"A", "B", "C", "D"}
    assert rows.first.locator("li").count() >= 1  # reasons, with their size in points
    assert "个百分点" in rows.first.locator("li").first.inner_text()
    screenshot(page, "risk-ranking")

    # the filter form: one grade only; the count is that grade's share of the distribution
    grade = rows.first.locator("span.tag").inner_text().strip()
    page.locator("select[name=grade]").select_option(grade)
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    screenshot(page, "risk-ranking-filtered")
    shown = [t.strip() for t in page.locator("#risk-table tbody span.tag").all_inner_texts()]
    share = int(re.search(rf"{grade} (\d+)", page.locator("a.grade-count", has_text=grade).inner_text()).group(1))
    total = int(re.search(r"共 (\d+) 家企业", page.locator("p.summary").inner_text()).group(1))
    assert set(shown) == {grade} and total == share and len(shown) == min(total, 50)
    with page.expect_navigation():
        page.get_by_role("link", name="清除条件").click()
    assert page.locator("select[name=grade]").input_value() == ""
    rows = page.locator("#risk-table tbody tr")

    link = rows.first.locator("a[href^='/risk/']")
    href = link.get_attribute("href")
    with page.expect_navigation():
        link.click()
    assert urlsplit(page.url).path == href
    history = _chart_option(page, "risk-history-chart")
    assert max(s["n"] for s in history["series"]) >= 12  # the twelve monthly grades and the latest
    screenshot(page, "risk-card")

    page.goto(f"{live_server}/risk")
    with page.expect_navigation():
        page.get_by_role("link", name="模型检验").click()
    assert urlsplit(page.url).path == "/risk/backtest"
    page.locator("input[type=date][name=cutoff]").fill("2025-01-01")
    with page.expect_navigation():
        page.get_by_role("button", name="运行回测").click()
    metrics = page.locator("#backtest-metrics").inner_text()
    assert "AUC" in metrics and "Brier" in metrics and "ECE" in metrics
    chart = _chart_option(page, "backtest-chart")
    assert [s["type"] for s in chart["series"]] == ["line", "scatter"]
    assert chart["series"][1]["n"] >= 2  # calibration bins with batches in them
    # the stored monthly grades checked against what followed them
    assert page.locator("#calibration-summary").inner_text().startswith("ECE ")
    assert page.locator("#calibration-months tbody tr").count() >= 1
    screenshot(page, "risk-backtest")

    page.locator("input[type=date][name=cutoff]").fill("2099-01-01")
    with page.expect_navigation():
        page.get_by_role("button", name="运行回测").click()
    assert "截止日后的批次尚无结果" in page.locator("main").inner_text() or page.locator("p.error").count() == 1


def test_alert_inbox_evidence_chart_and_lifecycle(page, live_server):
    # the demo's province-wide account: the 40-enterprise test world raises no alert in Shenzhen alone
    log_in_as(page, live_server, "admin")
    page.goto(f"{live_server}/alerts?status=new")
    rows = page.locator("#alert-table tbody tr")
    assert rows.count() > 0 and "暂无预警" not in rows.first.inner_text()
    # an enterprise alert's subject links to that enterprise's risk card
    subject = page.locator("#alert-table tbody a[href^='/risk/']")
    assert subject.count() >= 1
    with page.expect_navigation():
        rows.first.locator("a[href^='/alerts']").click()
    chart = _chart_option(page, "evidence-chart")
    assert chart["series"][0]["n"] >= 1  # the statistic's path
    screenshot(page, "alert-evidence")

    with page.expect_navigation():
        page.get_by_role("button", name="确认预警").click()
    page.locator("input[name=note]").fill("已现场核查，企业已整改")
    with page.expect_navigation():
        page.get_by_role("button", name="关闭预警").click()
    assert "已关闭 · 批次" in page.locator("main p.note").inner_text() or "已关闭 · 投诉" in page.locator("main p.note").inner_text()
    assert "关闭说明：已现场核查，企业已整改" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="关闭预警").count() == 0


def _draw(page, live_server: str, budget: int, period: str, seed: int) -> None:
    """Fill in and submit the plan form."""
    page.goto(f"{live_server}/plan")
    page.locator("input[name=budget]").fill(str(budget))
    page.locator("input[name=period]").fill(period)
    page.locator("input[name=seed]").fill(str(seed))
    with page.expect_navigation():
        page.get_by_role("button", name="抽取").click()


def test_plan_is_drawn_and_exported(page, live_server):
    log_in_as(page, live_server, "regulator")
    _draw(page, live_server, budget=5, period="2026Q1", seed=20261124)
    text = page.locator("main").inner_text()
    assert "预期发现不合格批次" in text and "均匀随机抽取" in text
    assert "抽取范围：深圳市" in text and "抽取 5 / " in text
    table = page.locator("#plan-table tbody tr")
    assert table.count() == 5
    drawn = sorted(table.locator("small").all_inner_texts())
    screenshot(page, "plan")

    with page.expect_download() as info:
        page.get_by_role("link", name="导出 CSV").click()
    content = open(info.value.path(), "rb").read().decode("utf-8-sig")
    exported = list(csv.reader(io.StringIO(content)))
    assert len(exported) == 1 + 5
    col = exported[0].index("统一社会信用代码")
    assert sorted(r[col] for r in exported[1:]) == drawn

    # drawing again with the same seed gives the same list (anyone can re-draw it)
    _draw(page, live_server, budget=5, period="2026Q1", seed=20261124)
    assert "已存在（未变）" in page.locator("main").inner_text()
    assert sorted(page.locator("#plan-table tbody tr small").all_inner_texts()) == drawn
    # the published plan is listed below the form and opens with the same list
    link = page.locator("#plan-list a[href^='/plan/']").first
    with page.expect_navigation():
        link.click()
    assert re.fullmatch(r"/plan/\d+", urlsplit(page.url).path)
    assert sorted(page.locator("#plan-table tbody tr small").all_inner_texts()) == drawn
    assert "已发布" in page.locator("main").inner_text()
