"""The enterprise portal (/my) and its request form (POST /my/requests, POST/redirect/GET)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lingqu.auth.scope import scope_of
from lingqu.standard import changes as standard_changes
from lingqu.exceptions import LingquError
from lingqu.institution.service import FormInvalid
from lingqu.portal import service
from lingqu.service_request import service as request_service
from lingqu.web.access import allow
from lingqu.web.deps import SessionDep, error_page
from lingqu.web.sessions import CurrentUser, check_csrf
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False, dependencies=[allow("enterprise")])

EMPTY_FORM = {"topic": "", "description": "", "institution_id": "", "standard_code": "", "batch_no": ""}


def _page(request: Request, session, user, *, form: dict | None = None, errors: dict | None = None,
          status: int = 200) -> HTMLResponse:
    try:
        portal = service.my_portal(session, user)
        requests = request_service.list_requests(session, user, page_size=200)
        # standard changes that concern its products or certificates (open ones first, newest first)
        changes = [a for a in standard_changes.list_alerts(session, scope_of(user)) if a["status"] != "closed"]
    except LingquError as exc:
        return error_page(request, exc)
    return templates.TemplateResponse(request, "my_portal.html", {
        "nav": "my", "p": portal, "e": portal.enterprise, "requests": requests, "changes": changes,
        "choices": request_service.form_choices(session, user), "form": form or EMPTY_FORM, "errors": errors or {},
    }, status_code=status)


@router.get("/my", response_class=HTMLResponse)
def my_portal(request: Request, session: SessionDep, user: CurrentUser) -> HTMLResponse:
    return _page(request, session, user)


@router.post("/my/requests", response_class=HTMLResponse)
def submit_request(request: Request, session: SessionDep, user: CurrentUser, topic: str = Form(""),
                   description: str = Form(""), institution_id: str = Form(""), standard_code: str = Form(""),
                   batch_no: str = Form(""), csrf: str = Form("", alias="csrf_token")) -> HTMLResponse:
    check_csrf(request, csrf)
    form = {"topic": topic, "description": description, "institution_id": institution_id,
            "standard_code": standard_code, "batch_no": batch_no}
    try:
        r = request_service.submit(session, user, form)
    except FormInvalid as exc:
        return _page(request, session, user, form=form, errors=exc.errors, status=422)
    except LingquError as exc:
        return error_page(request, exc)
    return RedirectResponse(f"/service-requests/{r.id}?done=submitted", status_code=303)
