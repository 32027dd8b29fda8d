"""The portals in a real browser: the enterprise asks for help, the demo lab accepts, the
regulator sees it; and the failure paths (wrong password, expired session, forbidden page)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa

from .conftest import assert_logged_out, demo_login, log_in, log_in_as, screenshot, session_cookie

DESC = "浏览器测试：整改后的移动电源需要复测转换效率，请安排检测时间。"


def _log_out(page):
    with page.expect_navigation():
        page.locator("header.site .account").get_by_role("button", name="退出").click()
    assert not session_cookie(page)
    assert_logged_out(page)


def _demo_institution_name(db_url) -> str:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as c:
            return c.execute(sa.text(
                "SELECT i.name FROM institution i JOIN app_user u ON u.institution_id = i.id "
                "WHERE u.username = :u"), {"u": demo_login("institution").username}).scalar_one()
    finally:
        engine.dispose()


def test_enterprise_asks_institution_accepts_regulator_sees(page, live_server, live_db_url):
    lab_name = _demo_institution_name(live_db_url)

    # -- enterprise: its portal, a drill-down into a demo request, a new request through the form
    log_in_as(page, live_server, "enterprise")
    with page.expect_navigation():
        page.locator("header.site nav").get_by_role("link", name="我的企业").click()
    assert urlsplit(page.url).path == "/my"
    for heading in ("风险等级与原因", "历年抽检合格率", "证书", "我的服务需求"):
        assert page.get_by_role("heading", name=heading, exact=True).is_visible(), heading
    assert page.locator("#pass-history tbody tr").count() >= 1
    screenshot(page, "portal-enterprise")

    demo_rows = page.locator("#requests table tbody tr")
    assert demo_rows.count() == 3  # the demo load's requests of this enterprise
    with page.expect_navigation():
        demo_rows.first.locator("a").click()
    assert page.locator("main h1").inner_text().startswith("服务需求")
    screenshot(page, "portal-enterprise-request")
    page.go_back()

    form = page.locator("#request-form")
    form.locator("select[name=topic]").select_option("testing")
    form.locator("textarea[name=description]").fill("太短")
    with page.expect_navigation():
        form.get_by_role("button", name="提交需求").click()
    assert page.locator("#err-description").inner_text().startswith("请描述需要的帮助")
    assert page.locator("#request-form textarea[name=description]").input_value() == "太短"

    form = page.locator("#request-form")
    form.locator("textarea[name=description]").fill(DESC)
    option = form.locator("select[name=institution_id] option", has_text=lab_name)
    form.locator("select[name=institution_id]").select_option(option.get_attribute("value"))
    with page.expect_navigation():
        form.get_by_role("button", name="提交需求").click()
    assert parse_qs(urlsplit(page.url).query).get("done") == ["submitted"]
    assert page.get_by_role("status").inner_text().startswith("服务需求已提交")
    request_no = page.locator("main h1 .code").inner_text().strip()
    assert request_no.startswith("FW") and DESC in page.locator("main").inner_text()
    _log_out(page)

    # -- institution: the request is in its inbox; it accepts it
    log_in_as(page, live_server, "institution")
    page.goto(f"{live_server}/institution")
    assert page.get_by_role("heading", name="服务范围与能力", exact=True).is_visible()
    screenshot(page, "portal-institution")
    with page.expect_navigation():
        page.locator("#incoming").get_by_role("link", name=request_no).click()
    accept = page.locator("#accept-form")
    accept.locator("textarea[name=note]").fill("已安排，请三个工作日内送样 6 件。")
    with page.expect_navigation():
        accept.get_by_role("button", name="受理").click()
    assert page.get_by_role("status").inner_text().startswith("已受理")
    assert "已受理" in page.locator("main h1").inner_text()
    assert page.locator("#complete-form").is_visible()  # the next step it may take
    screenshot(page, "portal-institution-accepted")
    _log_out(page)

    # -- regulator (Shenzhen, the demo enterprise's city): the list, filtered, and the detail
    log_in_as(page, live_server, "regulator")
    with page.expect_navigation():
        page.locator("header.site nav").get_by_role("link", name="服务需求").click()
    assert urlsplit(page.url).path == "/service-requests"
    page.locator("form[role=search] select[name=status]").select_option("accepted")
    with page.expect_navigation():
        page.locator("form[role=search] button[type=submit]").click()
    assert parse_qs(urlsplit(page.url).query).get("status") == ["accepted"]
    row = page.locator("main table tbody tr", has_text=request_no)
    assert row.count() == 1 and lab_name in row.inner_text()
    screenshot(page, "service-requests-regulator")
    with page.expect_navigation():
        row.get_by_role("link", name=request_no).click()
    assert DESC in page.locator("main").inner_text() and page.locator("#accept-form").count() == 0
    _log_out(page)


def test_wrong_password_for_the_enterprise(page, live_server):
    ent = demo_login("enterprise")
    log_in(page, live_server, ent.username, "not-" + ent.password)
    assert urlsplit(page.url).path == "/login" and page.get_by_role("alert").is_visible()
    assert not session_cookie(page)
    page.goto(f"{live_server}/my")
    assert urlsplit(page.url).path == "/login"


def test_expired_session_goes_back_to_the_login(page, live_server, live_db_url):
    lab = log_in_as(page, live_server, "institution")
    assert page.goto(f"{live_server}/institution").status == 200
    engine = sa.create_engine(live_db_url)
    try:
        with engine.begin() as c:
            n = c.execute(sa.text(
                "UPDATE user_session SET expires_at = :past WHERE user_id = "
                "(SELECT id FROM app_user WHERE username = :u)"), {"past": dt.datetime(2000, 1, 1), "u": lab.username}).rowcount
    finally:
        engine.dispose()
    assert n >= 1
    page.goto(f"{live_server}/institution")
    assert urlsplit(page.url).path == "/login"
    assert parse_qs(urlsplit(page.url).query).get("next") == ["/institution"]
    assert_logged_out(page)


def test_enterprise_opening_a_regulator_page_gets_403(page, live_server):
    log_in_as(page, live_server, "enterprise")
    for path in ("/service-requests", "/stats/pass-rate", "/institution"):
        response = page.goto(f"{live_server}{path}")
        assert response.status == 403, path
        assert "无权" in page.locator("main").inner_text()
    screenshot(page, "forbidden-enterprise")
    # another tenant's request: 404, like one that does not exist
    assert page.goto(f"{live_server}/service-requests/999999").status == 404


def test_institution_edits_its_scope_with_clear_errors(page, live_server):
    log_in_as(page, live_server, "institution")
    page.goto(f"{live_server}/institution")
    form = page.locator("#profile-form")
    standards = form.locator("textarea[name=standards]").input_value()
    form.locator("textarea[name=standards]").fill(standards + "\nGB 12345-2099")
    form.locator("input[name=capacity_per_month]").fill("很多")
    with page.expect_navigation():
        form.get_by_role("button", name="保存").click()
    assert "GB 12345-2099" in page.locator("#err-standards").inner_text()
    assert page.locator("#err-capacity_per_month").inner_text().startswith("每月可承接量应为")
    form = page.locator("#profile-form")
    form.locator("textarea[name=standards]").fill(standards)
    form.locator("input[name=capacity_per_month]").fill("950")
    with page.expect_navigation():
        form.get_by_role("button", name="保存").click()
    assert page.get_by_role("status").inner_text().startswith("机构信息已保存")
    assert "950" in page.locator("#profile .facts").inner_text()
    screenshot(page, "portal-institution-profile-saved")
    _log_out(page)
