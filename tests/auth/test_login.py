"""Login, logout, sessions, CSRF and throttling, through the real app."""

from __future__ import annotations

import re

import sqlalchemy as sa

from lingqu.auth.service import FREE_ATTEMPTS, create_user, verify_password
from lingqu.db.engine import unit_of_work

PASSWORD = "correct horse battery"


def _user(db_url, username="zhang", role="regulator", **kw):
    with unit_of_work(db_url) as s:
        create_user(s, username=username, password=PASSWORD, role=role, display_name="张质检", city_code="440300", **kw)


def _csrf(client) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _login(client, username="zhang", password=PASSWORD, token=None):
    token = token or _csrf(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": "/enterprises"},
                       follow_redirects=False)


def test_passwords_are_argon2_hashed(db_url):
    _user(db_url)
    with unit_of_work(db_url) as s:
        stored = s.execute(sa.text("SELECT password_hash FROM app_user WHERE username = 'zhang'")).scalar()
    assert stored.startswith("$argon2") and PASSWORD not in stored
    assert verify_password(stored, PASSWORD) and not verify_password(stored, "wrong")


def test_login_sets_a_safe_session_cookie_and_logout_ends_it(db_url, anonymous_client):
    _user(db_url)
    r = _login(anonymous_client)
    assert r.status_code == 303 and r.headers["location"] == "/enterprises"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("lingqu_session="))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    page = anonymous_client.get("/")
    assert "张质检" in page.text and "退出" in page.text
    with unit_of_work(db_url) as s:
        assert s.execute(sa.text("SELECT COUNT(*) FROM user_session")).scalar() == 1
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    out = anonymous_client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    with unit_of_work(db_url) as s:
        assert s.execute(sa.text("SELECT COUNT(*) FROM user_session")).scalar() == 0
    assert "张质检" not in anonymous_client.get("/").text


def test_a_stolen_cookie_is_useless_after_logout(db_url, anonymous_client):
    _user(db_url)
    _login(anonymous_client)
    session_token = anonymous_client.cookies.get("lingqu_session")
    token = re.search(r'name="csrf_token" value="([^"]+)"', anonymous_client.get("/").text).group(1)
    anonymous_client.post("/logout", data={"csrf_token": token})
    anonymous_client.cookies.set("lingqu_session", session_token)
    assert "张质检" not in anonymous_client.get("/").text


def test_wrong_password_and_unknown_user_get_the_same_answer(db_url, anonymous_client):
    _user(db_url)
    wrong = _login(anonymous_client, password="nope")
    unknown = _login(anonymous_client, username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.text and "用户名或密码错误" in unknown.text
    assert "lingqu_session" not in anonymous_client.cookies


def test_login_without_the_csrf_token_is_refused(db_url, anonymous_client):
    _user(db_url)
    _csrf(anonymous_client)
    r = anonymous_client.post("/login", data={"username": "zhang", "password": PASSWORD, "csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403 and "lingqu_session" not in anonymous_client.cookies


def test_repeated_failures_lock_even_the_right_password_for_a_while(db_url, anonymous_client):
    _user(db_url)
    token = _csrf(anonymous_client)
    for _ in range(FREE_ATTEMPTS):
        assert _login(anonymous_client, password="guess", token=token).status_code == 401
    assert _login(anonymous_client, token=token).status_code == 401  # right password, but throttled
    with unit_of_work(db_url) as s:
        s.execute(sa.text("UPDATE app_user SET locked_until = NULL"))
    assert _login(anonymous_client, token=token).status_code == 303
    with unit_of_work(db_url) as s:
        assert s.execute(sa.text("SELECT failed_logins FROM app_user")).scalar() == 0


def test_next_never_leaves_the_site(db_url, anonymous_client):
    _user(db_url)
    token = _csrf(anonymous_client)
    r = anonymous_client.post("/login", data={"username": "zhang", "password": PASSWORD, "csrf_token": token, "next": "//evil.example"},
                        follow_redirects=False)
    assert r.headers["location"] == "/"


def test_user_create_cli_checks_scope(cli_env):
    import subprocess
    import sys
    from pathlib import Path

    lingqu = str(Path(sys.executable).with_name("lingqu"))
    ok = subprocess.run([lingqu, "user", "create", "--username", "li", "--role", "enterprise", "--password", PASSWORD,
                         "--uscc", "914403001922038216"], env=cli_env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([lingqu, "user", "create", "--username", "wang", "--role", "enterprise", "--password", PASSWORD,
                          "--uscc", "914403001922038210"], env=cli_env, capture_output=True, text=True)
    assert bad.returncode == 2 and "校验位" in bad.stderr


def test_api_tokens_authenticate_machine_clients_within_their_scope(db_url, anonymous_client):
    from lingqu.auth.service import issue_api_token

    _user(db_url, "ent", role="enterprise", uscc="914403001922038216")
    with unit_of_work(db_url) as s:
        token = issue_api_token(s, "ent", "nightly export")
        stored = s.execute(sa.text("SELECT token_hash FROM api_token")).scalar()
    assert token not in stored and len(stored) == 64
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous_client.get("/api/v1/enterprises", headers=headers).status_code == 200
    assert anonymous_client.get("/api/v1/overview", headers=headers).status_code == 403  # role still applies
    assert anonymous_client.get("/api/v1/enterprises", headers={"Authorization": "Bearer lq_forged"}).status_code == 401
    with unit_of_work(db_url) as s:
        s.execute(sa.text("UPDATE api_token SET revoked = TRUE"))
    assert anonymous_client.get("/api/v1/enterprises", headers=headers).status_code == 401
