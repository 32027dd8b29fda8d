"""HTML pages for sampling results: the city overview at ``/``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lingqu.exceptions import LingquError
from lingqu.sampling import service
from lingqu.web.deps import SessionDep, error_page
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep, city: str | None = None) -> HTMLResponse:
    try:
        data = service.overview(session, city)
    except LingquError as exc:
        return error_page(request, exc)
    return templates.TemplateResponse(request, "overview.html", {"nav": "overview", "o": data})
