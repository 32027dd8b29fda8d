"""Session cookie, CSRF protection and the current user, for pages.

- The session cookie holds a random token (HttpOnly, SameSite=Lax, Secure over HTTPS); the
  database keeps only its hash (``lingqu.auth``), so logging out really ends the session.
- CSRF: the double-submit pattern. A random token lives in its own HttpOnly cookie and is
  rendered into every form; a POST whose form token does not equal the cookie is refused.
  A cross-site page can make the browser send the cookie, but cannot read it to fill the form.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from lingqu.auth import service as auth
from lingqu.auth.models import User
from lingqu.exceptions import LingquError
from lingqu.db.engine import unit_of_work

SESSION_COOKIE = "lingqu_session"
CSRF_COOKIE = "lingqu_csrf"
CSRF_FIELD = "csrf_token"


class CsrfFailed(LingquError):
    code = "csrf_failed"
    status_code = 403


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def csrf_token(request: Request) -> str:
    """The token to render into forms (the cookie's, or a new one that ``set_csrf_cookie`` sets)."""
    token = request.cookies.get(CSRF_COOKIE)
    if not token:
        token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return token


def set_csrf_cookie(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="lax", secure=_secure(request), path="/")


def check_csrf(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted or not secrets.compare_digest(cookie, submitted):
        raise CsrfFailed("表单已过期或来源不明，请刷新页面后重试 (the form's CSRF token is missing or wrong)")


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), path="/",
                        max_age=auth.SESSION_HOURS * 3600)


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def load_user(request: Request) -> User | None:
    """Look up the session cookie's user in its own short unit of work (called by middleware,
    once per request, so every page and endpoint sees ``request.state.user``)."""
    bearer = request.headers.get("authorization", "")
    api_token = bearer[7:].strip() if bearer[:7].lower() == "bearer " else ""
    token = request.cookies.get(SESSION_COOKIE)
    if not token and not api_token:
        return None
    with unit_of_work() as session:
        if api_token:  # machine clients: the token alone decides, cookies are ignored
            return auth.user_for_api_token(session, api_token)
        return auth.user_for_token(session, token)


def current_user(request: Request) -> User | None:
    """The logged-in user, or None (no cookie, unknown or expired session)."""
    return getattr(request.state, "user", None)


CurrentUser = Annotated[User | None, Depends(current_user)]
