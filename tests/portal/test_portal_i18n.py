"""Every text the portal templates wrap in t() has an English entry, and the English switch shows it."""

from __future__ import annotations

import re
from pathlib import Path

import lingqu.web

WEB = Path(lingqu.web.__file__).parent
TEMPLATES = ("_service_requests.html", "service_request_list.html", "service_request_detail.html", "my_portal.html",
             "institution_portal.html")


def test_every_wrapped_text_has_an_english_entry():
    from lingqu.web.i18n import catalogue as merged

    catalogue = merged()  # every catalogue file: shared words live in en.json
    wrapped = {m.group(2) for name in TEMPLATES
               for m in re.finditer(r"""t\((["'])(.+?)\1\)""", (WEB / "templates" / name).read_text(encoding="utf-8"))}
    assert wrapped and not sorted(wrapped - set(catalogue))


def test_english_switch_on_the_enterprise_portal(world, as_user):
    c = as_user("ent")
    c.cookies.set("lang", "en")
    html = c.get("/my").text
    assert "My service requests" in html and "Pass rate by year" in html and "我的服务需求" not in html
