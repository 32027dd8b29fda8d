"""The two switches in the header: language (中文 / English) and city (regulators)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from lingqu.web import choice
from lingqu.web.access import PUBLIC, allow
from lingqu.web.i18n import COOKIE as LANG_COOKIE, LANGUAGES

router = APIRouter(include_in_schema=False)

ONE_YEAR = 365 * 24 * 3600


@router.get("/lang", dependencies=[PUBLIC])
def switch_language(request: Request, to: str = "zh", next: str | None = None) -> RedirectResponse:
    """Set the ``lang`` cookie and go back to the page; an unknown language means Chinese."""
    lang = to if to in LANGUAGES else "zh"
    response = RedirectResponse(choice.safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=ONE_YEAR, samesite="lax", path="/")
    return response


@router.get("/city", dependencies=[allow("regulator", "admin")])
def switch_city(request: Request, code: str = "", next: str | None = None) -> RedirectResponse:
    """Remember the chosen city (or ``all``) and go back to the page."""
    value = choice.check_choice(request, code)
    response = RedirectResponse(choice.safe_next(next), status_code=303)
    response.set_cookie(choice.COOKIE, value, max_age=ONE_YEAR, samesite="lax", httponly=True, path="/",
                        secure=request.url.scheme == "https")
    return response
