"""Logging in and out through the real form, as each demo role, and the failure paths."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import pytest

from lingqu.auth.service import DEMO_LOGINS

from .conftest import SESSION_COOKIE, assert_logged_out, log_in, screenshot, session_cookie


@pytest.mark.parametrize("demo", DEMO_LOGINS, ids=[d.role for d in DEMO_LOGINS])
def test_each_demo_role_logs_in_and_out(page, live_server, demo):
    log_in(page, live_server, demo.username, demo.password)
    assert urlsplit(page.url).path != "/login", page.locator("main").inner_text()
    account = page.locator("header.site .account")
    assert demo.label in account.inner_text()
    assert session_cookie(page)
    screenshot(page, f"landing-{demo.role}")

    with page.expect_navigation():
        account.get_by_role("button", name="退出").click()
    assert not session_cookie(page)
    assert_logged_out(page)
    page.goto(f"{live_server}/")
    assert_logged_out(page)


def test_wrong_password_shows_the_error_and_sets_no_session(page, live_server):
    demo = next(d for d in DEMO_LOGINS if d.role == "institution")
    log_in(page, live_server, demo.username, demo.password + "-wrong")
    assert urlsplit(page.url).path == "/login"
    assert "用户名或密码错误" in page.locator("form[action='/login']").locator("..").inner_text()
    assert page.get_by_role("alert").is_visible()
    assert not session_cookie(page)
    screenshot(page, "login-failed")
    assert_logged_out(page)


def test_forged_session_cookie_is_logged_out(page, live_server):
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": secrets.token_urlsafe(32), "url": live_server}])
    page.goto(f"{live_server}/")
    assert_logged_out(page)
    page.goto(f"{live_server}/enterprises")
    assert_logged_out(page)
