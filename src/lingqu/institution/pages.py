"""The institution portal (/institution): its profile and scope (editable), and incoming requests."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lingqu.exceptions import LingquError
from lingqu.institution import service
from lingqu.institution.service import FormInvalid
from lingqu.service_request import service as request_service
from lingqu.web.access import allow
from lingqu.web.deps import SessionDep, error_page
from lingqu.web.sessions import CurrentUser, check_csrf
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False, dependencies=[allow("institution")])

DONE = {"saved": "机构信息已保存。", "passed": "已婉拒该服务需求，它不再出现在本机构的列表中。"}


def _page(request: Request, session, user, *, form: dict | None = None, errors: dict | None = None,
          status: int = 200, done: str = "", status_filter: str = "") -> HTMLResponse:
    try:
        profile = service.profile(session, user)
        incoming = request_service.list_requests(session, user, status=status_filter or None, page_size=200)
    except LingquError as exc:
        return error_page(request, exc)
    if form is None:
        form = {"standards": "\n".join(profile.standards), "items": "\n".join(profile.items),
                "capacity_per_month": "" if profile.capacity_per_month is None else str(profile.capacity_per_month),
                "turnaround_days": "" if profile.turnaround_days is None else f"{profile.turnaround_days:g}"}
    return templates.TemplateResponse(request, "institution_portal.html", {
        "nav": "institution", "profile": profile, "incoming": incoming, "form": form, "errors": errors or {},
        "done": DONE.get(done, ""), "status_filter": status_filter,
    }, status_code=status)


@router.get("/institution", response_class=HTMLResponse)
def institution_portal(request: Request, session: SessionDep, user: CurrentUser, done: str = "",
                       status: str = "") -> HTMLResponse:
    return _page(request, session, user, done=done, status_filter=status)


@router.post("/institution/profile", response_class=HTMLResponse)
def save_profile(request: Request, session: SessionDep, user: CurrentUser, standards: str = Form(""),
                 items: str = Form(""), capacity_per_month: str = Form(""), turnaround_days: str = Form(""),
                 csrf: str = Form("", alias="csrf_token")) -> HTMLResponse:
    check_csrf(request, csrf)
    form = {"standards": standards, "items": items, "capacity_per_month": capacity_per_month,
            "turnaround_days": turnaround_days}
    try:
        service.update_profile(session, user, standards=standards, items=items,
                               capacity_per_month=capacity_per_month, turnaround_days=turnaround_days)
    except FormInvalid as exc:
        return _page(request, session, user, form=form, errors=exc.errors, status=422)
    except LingquError as exc:
        return error_page(request, exc)
    return RedirectResponse("/institution?done=saved#profile", status_code=303)
