"""Jinja2 templates shared by every domain's ``pages.py``."""

from __future__ import annotations

import datetime as dt
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


#: China Standard Time: UTC+8 all year (no daylight saving since 1991), the time every user of the
#: platform (six Guangdong cities) reads. A fixed offset, so no time-zone database is needed.
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored timestamp as Beijing time. The database stores UTC (SQLite's ``CURRENT_TIMESTAMP``,
    PostgreSQL's ``now()`` on a UTC server, ``datetime.now(UTC)`` in the code), naive or aware; a naive
    value is read as UTC."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(CHINA_TIME).strftime(fmt)


templates.env.filters["local_time"] = local_time
