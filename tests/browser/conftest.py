"""Browser tests: Debian's Chromium (/usr/bin/chromium) driven by Playwright for Python.

No browser is ever downloaded (``playwright install`` is never run): ``scripts/ensure-browser.sh``
(a prerequisite of ``make test``) installs the Debian packages chromium and fonts-noto-cjk.

One session-scoped server per test process: the real app under uvicorn (what ``lingqu serve``
runs) in a subprocess on 127.0.0.1 and a free port, against a fresh SQLite database with the
reference data and a small demo world (which also creates the demo users of ``DEMO_LOGINS``).
Screenshots go to ``test-artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
SESSION_COOKIE = "lingqu_session"
DEMO_ENTERPRISES = 40
#: the live server's database URL, for tests that change the database behind the browser's back
LIVE: dict[str, str] = {}


def _skip_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing: run `bash scripts/ensure-browser.sh` (or `make test`, which runs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is missing: pip install -e '.[test]'"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    if reason is None:
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Base URL of the real app serving a fresh database with the demo world, graded and scanned."""
    from lingqu.db.engine import dispose_engine
    from lingqu.reference.service import init_database
    from lingqu.simulate.loading import load_world
    from lingqu.simulate.world import generate_world

    root = tmp_path_factory.mktemp("browser-server")
    url = f"sqlite:///{root / 'lingqu.db'}"
    init_database(url)
    generate_world(root / "world", seed=1, enterprises=DEMO_ENTERPRISES)
    load_world(root / "world", url, grade=True)  # as `lingqu init --demo`: monthly grades and a first scan
    dispose_engine(url)
    LIVE["db_url"] = url

    port = _free_port()
    env = dict(os.environ, LINGQU_DATABASE_URL=url)
    log = open(root / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "lingqu.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/static/lingqu.css", timeout=2).close()
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log.close()
                pytest.fail(f"the test server did not start:\n{(root / 'server.log').read_text(errors='replace')}")
            time.sleep(0.1)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def live_db_url(live_server) -> str:
    """The URL of the database the live server serves."""
    return LIVE["db_url"]


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory):
    """One Chromium per test process, with a fresh user-data-dir (Playwright takes it as the
    persistent context's directory; it refuses a ``--user-data-dir`` flag)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            locale="zh-CN", viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        yield context
        context.close()


@pytest.fixture
def requests_seen(browser_context, live_server):
    """Every URL the browser requests during the test; afterwards, all must be on the test server."""
    seen: list[str] = []
    handler = lambda req: seen.append(req.url)  # noqa: E731
    browser_context.on("request", handler)
    yield seen
    browser_context.remove_listener("request", handler)
    server = urlsplit(live_server).netloc
    foreign = [u for u in seen if urlsplit(u).scheme in ("http", "https", "ws", "wss") and urlsplit(u).netloc != server]
    assert not foreign, f"requests left the test server: {foreign}"


@pytest.fixture
def page(browser_context, requests_seen):
    """A fresh, logged-out page."""
    browser_context.clear_cookies()
    p = browser_context.new_page()
    yield p
    p.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, base: str, username: str, password: str) -> None:
    """Fill in and submit the login form at /login (its hidden csrf_token goes along)."""
    page.goto(f"{base}/login")
    form = page.locator("form[action='/login']")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def demo_login(role: str):
    from lingqu.auth.service import DEMO_LOGINS

    return next(d for d in DEMO_LOGINS if d.role == role)


def log_in_as(page, base: str, role: str):
    """Log in with the demo account of ``role`` (as printed by ``make run``); returns that account."""
    account = demo_login(role)
    log_in(page, base, account.username, account.password)
    return account


def session_cookie(page):
    return [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]


def assert_logged_out(page) -> None:
    """Logged out: either the page offers the header's 登录 link, or it is the login form
    (when the page asked for requires a login)."""
    from lingqu.auth.service import DEMO_LOGINS

    account = page.locator("header.site .account")
    if urlsplit(page.url).path == "/login":
        assert page.locator("form[action='/login'] input[name=password]").is_visible()
    else:
        assert account.get_by_role("link", name="登录").is_visible()
    assert account.get_by_role("button", name="退出").count() == 0
    header = account.inner_text()
    for d in DEMO_LOGINS:
        assert d.label not in header
