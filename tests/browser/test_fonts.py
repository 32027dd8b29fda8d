"""Chinese renders with the self-hosted Noto Sans SC, and nothing is fetched from elsewhere."""

from __future__ import annotations

from urllib.parse import urlsplit

from .conftest import log_in_as, screenshot


def test_overview_renders_chinese_with_the_self_hosted_font(page, live_server, requests_seen):
    fonts = []
    page.on("response", lambda r: fonts.append((r.url, r.status)) if "/static/fonts/" in r.url else None)
    log_in_as(page, live_server, "admin")
    page.goto(f"{live_server}/")
    page.wait_for_load_state("networkidle")
    shot = screenshot(page, "overview")
    assert shot.stat().st_size > 10_000

    assert "灵渠" in page.locator("header.site").inner_text()
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert family.lstrip().startswith('"Noto Sans SC"'), family
    # The faces that cover 灵渠 and the header text are loaded from /static/fonts/.
    loaded = page.evaluate(
        """async () => (await document.fonts.load('16px "Noto Sans SC"', '灵渠质量基础设施平台'))
                          .filter(f => f.status === 'loaded').length"""
    )
    assert loaded >= 1
    assert page.evaluate("""document.fonts.check('16px "Noto Sans SC"', '灵渠质量基础设施平台')""")
    assert fonts, "no font file was requested"
    assert all(status == 200 for _, status in fonts), fonts
    assert all(urlsplit(u).path.startswith("/static/fonts/noto-sans-sc-") for u, _ in fonts)
    assert any(urlsplit(u).path.startswith("/static/fonts/") for u in requests_seen)


def test_font_files_and_licence_are_served(page, live_server):
    for path in ("/static/fonts/LICENSE", "/static/fonts/noto-sans-sc-latin-400-normal.woff2",
                 "/static/fonts/noto-sans-sc-latin-700-normal.woff2"):
        r = page.request.get(f"{live_server}{path}")
        assert r.status == 200, path
