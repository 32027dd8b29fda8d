"""The web application: JSON API under /api/v1 and server-rendered pages.

Routers are discovered by convention: ``lingqu.<domain>.endpoints.router`` is mounted under
``/api/v1`` and ``lingqu.<domain>.pages.router`` at the root, so a new domain needs no edit here.
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

import lingqu
from lingqu.exceptions import LingquError
from lingqu.web.sessions import csrf_token, load_user, set_csrf_cookie
from lingqu.web.templating import WEB_DIR, templates


def _domain_module(domain: str, name: str):
    try:
        return importlib.import_module(f"lingqu.{domain}.{name}")
    except ModuleNotFoundError as e:
        if e.name == f"lingqu.{domain}.{name}":
            return None
        raise


def create_app() -> FastAPI:
    templates.env.globals["csrf_token"] = csrf_token
    app = FastAPI(title="Lingqu (灵渠) API", version=lingqu.__version__, openapi_url="/openapi.json", docs_url="/docs")
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")

    @app.middleware("http")
    async def _user_and_csrf(request: Request, call_next):
        """Resolve the logged-in user for the request; afterwards, set the CSRF cookie when a
        page rendered a form with a freshly made token."""
        request.state.user = await run_in_threadpool(load_user, request)
        response = await call_next(request)
        set_csrf_cookie(request, response)
        return response

    @app.exception_handler(LingquError)
    async def _lingqu_error(_request: Request, exc: LingquError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)

    domains = sorted(m.name for m in pkgutil.iter_modules(lingqu.__path__) if m.ispkg)
    for domain in domains:
        endpoints = _domain_module(domain, "endpoints")
        if endpoints is not None and hasattr(endpoints, "router"):
            app.include_router(endpoints.router, prefix="/api/v1")
    for domain in domains:
        pages = _domain_module(domain, "pages")
        if pages is not None and hasattr(pages, "router"):
            app.include_router(pages.router)
    return app
