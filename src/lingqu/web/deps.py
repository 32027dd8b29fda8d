"""What pages and endpoints depend on: one database session per request, and the error page.

``get_session`` wraps the whole request in one unit of work (commit on success, roll back on
any error). ``SessionDep`` is the annotated form adapters use, so that endpoints and pages
never import SQLAlchemy themselves; it closes the unit of work before the response is sent, so
a failed commit is an error response and never a success the client was already told about.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from lingqu.db.engine import unit_of_work
from lingqu.exceptions import LingquError
from lingqu.web.templating import templates


def get_session() -> Iterator[Session]:
    """One session in one unit of work for the request, on the configured database."""
    with unit_of_work() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

#: Page titles for the errors a page can show, by HTTP status.
_ERROR_TITLES = {404: "未找到", 403: "无权访问", 422: "请求参数有误", 400: "请求有误"}


def error_page(request: Request, exc: LingquError) -> HTMLResponse:
    """The Chinese error page for a platform error raised while building a page."""
    title = _ERROR_TITLES.get(exc.status_code, "出错了")
    return templates.TemplateResponse(
        request, "error.html", {"title": title, "message": exc.message, "status": exc.status_code},
        status_code=exc.status_code,
    )


def actor_of(request: Request, default: str) -> str:
    """Who a write is audited as: the logged-in user's name, else ``default`` ("api", "web")."""
    user = getattr(request.state, "user", None)
    return getattr(user, "username", None) or default


#: A database id in a path: positive and within a 32-bit INTEGER, the id type on PostgreSQL, so a
#: larger value answers 422 rather than a 500 from the database.
DbId = Annotated[int, Path(ge=1, le=2**31 - 1)]
