"""Login and logout pages."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lingqu.auth import service as auth
from lingqu.web.access import PUBLIC
from lingqu.web.deps import SessionDep
from lingqu.web.sessions import (
    SESSION_COOKIE, CsrfFailed, CurrentUser, check_csrf, clear_session_cookie, csrf_token, set_session_cookie,
)
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False, dependencies=[PUBLIC])


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a user to another site after login."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def _login_page(request: Request, *, error: str = "", username: str = "", next_url: str = "/", status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "login.html",
        {"nav": "login", "error": error, "username": username, "next": next_url, "csrf": csrf_token(request)},
        status_code=status,
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, user: CurrentUser, next: str | None = None) -> HTMLResponse:
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next_url=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, session: SessionDep,
    username: str = Form(""), password: str = Form(""), csrf_token_field: str = Form("", alias="csrf_token"),
    next: str = Form("/"),
) -> HTMLResponse:
    try:
        check_csrf(request, csrf_token_field)
    except CsrfFailed as e:
        return _login_page(request, error=e.message, username=username, next_url=_safe_next(next), status=403)
    try:
        user = auth.authenticate(session, username, password)
    except auth.LoginFailed as e:
        return _login_page(request, error=e.message, username=username, next_url=_safe_next(next), status=401)
    token = auth.start_session(session, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, token)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, csrf_token_field: str = Form("", alias="csrf_token")) -> RedirectResponse:
    check_csrf(request, csrf_token_field)
    auth.end_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response
