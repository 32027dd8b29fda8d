"""One unit of work per request (the adapters' import rules are checked by tests/test_layout.py)."""

from __future__ import annotations

import pytest

from lingqu.config import get_settings
from lingqu.db.engine import unit_of_work
from lingqu.reference.models import City
from lingqu.web.deps import get_session


@pytest.fixture
def configured(db_url, monkeypatch):
    monkeypatch.setenv("LINGQU_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def _name_of(code: str, url: str) -> str | None:
    with unit_of_work(url) as s:
        city = s.get(City, code)
        return city.name_en if city else None


def test_get_session_commits_when_the_request_succeeds(configured):
    gen = get_session()
    session = next(gen)
    session.get(City, "440300").name_en = "Shenzhen City"
    with pytest.raises(StopIteration):
        next(gen)
    assert _name_of("440300", configured) == "Shenzhen City"


def test_get_session_rolls_back_when_the_request_fails(configured):
    gen = get_session()
    session = next(gen)
    session.get(City, "440300").name_en = "Changed"
    session.flush()
    with pytest.raises(RuntimeError):
        gen.throw(RuntimeError("handler failed"))
    assert _name_of("440300", configured) == "Shenzhen"


def test_stored_utc_times_are_shown_in_beijing_time():
    import datetime as dt

    from lingqu.web.templating import local_time, templates

    assert local_time(dt.datetime(2026, 1, 1, 20, 5)) == "2026-01-02 04:05"  # naive = UTC
    assert local_time(dt.datetime(2026, 1, 1, 20, 5, tzinfo=dt.timezone.utc)) == "2026-01-02 04:05"
    plus2 = dt.timezone(dt.timedelta(hours=2))
    assert local_time(dt.datetime(2026, 6, 30, 23, 0, tzinfo=plus2), "%Y-%m-%d %H:%M %Z") == "2026-07-01 05:00 CST"
    assert local_time(None) == ""
    assert templates.env.from_string("{{ d|local_time }}").render(d=dt.datetime(2026, 3, 1, 0, 0)) == "2026-03-01 08:00"
