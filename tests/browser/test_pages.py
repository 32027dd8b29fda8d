"""The enterprise list, its search and the drill-down to a detail page; a screenshot of each main page."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import log_in_as, screenshot


def test_enterprise_search_and_drill_down(page, live_server):
    log_in_as(page, live_server, "regulator")
    page.goto(f"{live_server}/enterprises")
    rows = page.locator("main table tbody tr")
    assert rows.count() > 0
    screenshot(page, "enterprises")

    link = rows.first.locator("a[href^='/enterprises/']").nth(1)
    name = link.inner_text().strip()
    page.locator("form[role=search] input[name=q]").fill(name)
    with page.expect_navigation():
        page.locator("form[role=search] button[type=submit]").click()
    assert parse_qs(urlsplit(page.url).query).get("q") == [name]
    assert rows.count() >= 1
    assert name in page.locator("main table tbody").inner_text()
    screenshot(page, "enterprises-search")

    target = rows.first.locator("a[href^='/enterprises/']").nth(1)
    href = target.get_attribute("href")
    with page.expect_navigation():
        target.click()
    assert urlsplit(page.url).path == href
    assert re.fullmatch(r"/enterprises/[0-9A-Z]{18}", href)
    assert page.get_by_role("heading", name="抽检记录").is_visible()
    assert name in page.locator("main").inner_text()
    screenshot(page, "enterprise-detail")


@pytest.mark.parametrize("path,name", [("/stats/pass-rate", "pass-rate"), ("/tools/acceptance", "acceptance")])
def test_main_pages_render(page, live_server, path, name):
    log_in_as(page, live_server, "admin")
    response = page.goto(f"{live_server}{path}")
    assert response.status == 200
    page.wait_for_load_state("networkidle")
    assert page.locator("main h1").count() >= 1
    screenshot(page, name)
