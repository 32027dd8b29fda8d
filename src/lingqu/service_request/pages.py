"""Service-request pages: the regulator's list, one request's page, and the transition forms.

Every form posts with its CSRF token and, on success, redirects (POST/redirect/GET) to the
request's page with a confirmation; a refused step re-renders the page with the reason.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lingqu.enterprise import service as enterprise_service
from lingqu.exceptions import LingquError
from lingqu.service_request import service
from lingqu.service_request.schemas import STATUS_LABELS, TOPICS
from lingqu.web.access import allow
from lingqu.web.deps import SessionDep, error_page
from lingqu.web.sessions import CurrentUser, check_csrf
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False)
ANY_ROLE = allow("regulator", "enterprise", "institution", "admin")

#: confirmation shown after a successful step (the ``done`` query parameter of the redirect)
DONE = {"submitted": "服务需求已提交，服务机构受理后会在此显示。", "accepted": "已受理该服务需求。",
        "declined": "已婉拒该服务需求。", "passed": "已婉拒，该需求不再出现在本机构的列表中。",
        "completed": "已将该服务需求标记为完成。", "withdrawn": "已撤回该服务需求。"}


def _list_url(params: dict, page: int) -> str:
    params = {k: v for k, v in params.items() if v}
    if page > 1:
        params["page"] = page
    return "/service-requests" + (f"?{urlencode(params)}" if params else "")


@router.get("/service-requests", response_class=HTMLResponse, dependencies=[allow("regulator", "admin")])
def request_list(request: Request, session: SessionDep, user: CurrentUser, status: str | None = None,
                 topic: str | None = None, city: str | None = None, q: str | None = None,
                 page: str | None = None) -> HTMLResponse:
    try:
        result = service.list_requests(session, user, status=status, topic=topic, city=city, q=q, page=page)
    except LingquError as exc:
        return error_page(request, exc)
    params = {"status": status or "", "topic": topic or "", "city": city or "", "q": q or ""}
    cities = [c for c in enterprise_service.cities(session) if not user.city_code or c.code == user.city_code]
    return templates.TemplateResponse(request, "service_request_list.html", {
        "nav": "service_requests", "result": result, "params": params, "cities": cities,
        "statuses": STATUS_LABELS, "topics": [(k, v[0]) for k, v in TOPICS.items()],
        "prev_url": _list_url(params, result.page - 1) if result.page > 1 else None,
        "next_url": _list_url(params, result.page + 1) if result.page < result.pages else None,
    })


def _detail(request: Request, session, user, request_id: str, *, error: str = "", status: int = 200,
            done: str = "") -> HTMLResponse:
    try:
        r = service.get(session, user, request_id)
    except LingquError as exc:
        return error_page(request, exc)
    nav = {"enterprise": "my", "institution": "institution"}.get(user.role, "service_requests")
    return templates.TemplateResponse(request, "service_request_detail.html", {
        "nav": nav, "r": r, "actions": service.actions_for(user, r), "error": error, "done": DONE.get(done, ""),
        "history": service.history(session, user, r.id),
    }, status_code=status)


@router.get("/service-requests/{request_id}", response_class=HTMLResponse, dependencies=[ANY_ROLE])
def request_detail(request: Request, request_id: str, session: SessionDep, user: CurrentUser,
                   done: str = "") -> HTMLResponse:
    return _detail(request, session, user, request_id, done=done)


def _transition(request: Request, session, user, request_id: str, csrf: str, step, done: str) -> HTMLResponse:
    check_csrf(request, csrf)
    try:
        r = step()
    except LingquError as exc:
        if exc.status_code in (403, 404):
            return error_page(request, exc)
        return _detail(request, session, user, request_id, error=exc.message, status=exc.status_code)
    if done == "declined" and r.status == "new":
        done = "passed"
    target = f"/service-requests/{r.id}?done={done}"
    if done == "passed":  # no longer on this institution's list: back to its inbox
        target = "/institution?done=passed"
    return RedirectResponse(target, status_code=303)


@router.post("/service-requests/{request_id}/accept", response_class=HTMLResponse, dependencies=[allow("institution")])
def accept_form(request: Request, request_id: str, session: SessionDep, user: CurrentUser, note: str = Form(""),
                csrf: str = Form("", alias="csrf_token")) -> HTMLResponse:
    return _transition(request, session, user, request_id, csrf,
                       lambda: service.accept(session, user, request_id, note), "accepted")


@router.post("/service-requests/{request_id}/decline", response_class=HTMLResponse, dependencies=[allow("institution")])
def decline_form(request: Request, request_id: str, session: SessionDep, user: CurrentUser, note: str = Form(""),
                 csrf: str = Form("", alias="csrf_token")) -> HTMLResponse:
    return _transition(request, session, user, request_id, csrf,
                       lambda: service.decline(session, user, request_id, note), "declined")


@router.post("/service-requests/{request_id}/complete", response_class=HTMLResponse, dependencies=[allow("institution")])
def complete_form(request: Request, request_id: str, session: SessionDep, user: CurrentUser, note: str = Form(""),
                  csrf: str = Form("", alias="csrf_token")) -> HTMLResponse:
    return _transition(request, session, user, request_id, csrf,
                       lambda: service.complete(session, user, request_id, note), "completed")


@router.post("/service-requests/{request_id}/withdraw", response_class=HTMLResponse, dependencies=[allow("enterprise")])
def withdraw_form(request: Request, request_id: str, session: SessionDep, user: CurrentUser,
                  csrf: str = Form("", alias="csrf_token")) -> HTMLResponse:
    return _transition(request, session, user, request_id, csrf,
                       lambda: service.withdraw(session, user, request_id), "withdrawn")
