"""Jinja2 templates shared by every domain's ``pages.py``."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from lingqu.web import choice
from lingqu.web.i18n import current_language, t

WEB_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
templates.env.globals["t"] = t
templates.env.globals["lang"] = current_language
templates.env.globals["city_switcher"] = choice.switcher
templates.env.globals["language_url"] = choice.language_url
