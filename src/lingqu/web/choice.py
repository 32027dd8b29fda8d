"""The city switcher: which city a regulator's pages and exports show, remembered in a cookie.

Province-wide regulators and admins choose one of the six cities or 全省 (the whole province);
the choice lives in the ``lingqu_city`` cookie and every regulator page uses it when the URL
names no city (a URL's own ``city=`` wins, so drill-down links stay exact; ``city=`` empty means
the whole province). A city-bound regulator is fixed to its city: the switcher shows only that
city and asking for another answers 403.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from fastapi import Request

from lingqu.auth.scope import Forbidden, scope_of

COOKIE = "lingqu_city"
ALL = "all"
_DATA = Path(__file__).resolve().parents[1] / "data" / "cities.csv"


@lru_cache(maxsize=1)
def city_names() -> dict[str, str]:
    """City code -> Chinese name, from the shipped reference file (no database call per page)."""
    with _DATA.open(encoding="utf-8") as f:
        return {r["code"]: r["name_zh"] for r in csv.DictReader(f)}


def _user(request: Request):
    return getattr(request.state, "user", None)


def chosen_city(request: Request) -> str | None:
    """The city the user's pages show when the URL names none: a city-bound regulator's own
    city, else the cookie's city (None: the whole province)."""
    scope = scope_of(_user(request))
    if scope.city_code:
        return scope.city_code
    value = request.cookies.get(COOKIE, "")
    return value if value in city_names() else None


def city_param(request: Request, city: str | None) -> str | None:
    """The page's city: the URL's ``city`` when present (empty = whole province), else the cookie's."""
    if city is None:
        return chosen_city(request)
    return city.strip() or None


def check_choice(request: Request, code: str) -> str:
    """The cookie value for a switch to ``code`` (a city code or ``all``), or 403/404."""
    from lingqu.exceptions import ValidationError

    scope = scope_of(_user(request))
    code = (code or "").strip() or scope.city_code or ALL  # empty: back to the default view
    if code != ALL and code not in city_names():
        raise ValidationError(f"未知的城市代码 {code!r} (unknown city code)", field="code")
    if scope.city_code and code != scope.city_code:
        raise Forbidden("超出您的管辖范围 (outside your jurisdiction)")
    return code


def safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def _here_without(request: Request, drop: set[str]) -> str:
    params = [(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True) if k not in drop]
    return request.url.path + (f"?{urlencode(params)}" if params else "")


def switcher(request: Request) -> list[dict]:
    """The switcher's entries for the current user: (code, name, url, current)."""
    user = _user(request)
    if user is None or user.role not in ("regulator", "admin"):
        return []
    scope = scope_of(user)
    here = _here_without(request, {"city", "page", "district"})
    explicit = request.query_params.get("city")
    current = (explicit.strip() or ALL) if explicit is not None else (chosen_city(request) or ALL)
    names = city_names()
    codes = [scope.city_code] if scope.city_code else [*names, ALL]
    return [
        {"code": c, "name": names.get(c, "全省"), "current": c == current,
         "url": "/city?" + urlencode({"code": c, "next": here})}
        for c in codes
    ]


def language_url(request: Request, lang: str) -> str:
    return "/lang?" + urlencode({"to": lang, "next": _here_without(request, set())})
