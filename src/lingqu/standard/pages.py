"""HTML pages of the standards knowledge base: the search page.

``/standards/search`` is declared before any ``/standards/{code}`` page so that "search" is
never read as a standard number. Standards are public knowledge: every logged-in role may search.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lingqu.exceptions import LingquError, ValidationError
from lingqu.standard import service
from lingqu.web.access import allow
from lingqu.web.deps import SessionDep, error_page
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
MAX_PAGE = 500  # 10,000 results: deeper than anyone pages through a standards list


def _url(params: dict, page: int) -> str:
    p = {k: v for k, v in params.items() if v}
    if page > 1:
        p["page"] = page
    return "/standards/search" + (f"?{urlencode(p)}" if p else "")


def _page_number(page: str | None) -> int:
    try:
        n = int(page) if page not in (None, "") else 1
    except ValueError:
        raise ValidationError(f"页码必须是正整数 (page must be a positive whole number), got {page!r}", field="page") from None
    if not 1 <= n <= MAX_PAGE:
        raise ValidationError(f"页码必须在 1 到 {MAX_PAGE} 之间 (page must be between 1 and {MAX_PAGE})", field="page")
    return n


@router.get("/standards/search", response_class=HTMLResponse, dependencies=[allow("regulator", "enterprise", "institution", "admin")])
def standards_search(request: Request, session: SessionDep, q: str = "", status: str = "", kind: str = "", domain: str = "",
                     page: str | None = None) -> HTMLResponse:
    params = {"q": q, "status": status, "kind": kind, "domain": domain}
    try:
        n = _page_number(page)
        result = service.search_page(session, q, status=status, kind=kind, domain=domain, page=n, per_page=PER_PAGE) if q.strip() else None
    except LingquError as exc:
        return error_page(request, exc)
    context = {
        "nav": "standards", "params": params, "result": result, "choices": service.filter_choices(session),
        "prev_url": _url(params, result["page"] - 1) if result and result["page"] > 1 else None,
        "next_url": _url(params, result["page"] + 1) if result and result["page"] < result["pages"] else None,
        "examples": ["GB 9706.1-2020", "gb9706.1", "ISO 13485", "移动电源", "电池", "医用电气设备 电磁兼容", "risk management"],
    }
    return templates.TemplateResponse(request, "standards_search.html", context)
