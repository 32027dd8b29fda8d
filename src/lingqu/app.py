"""The web application: JSON API under /api/v1 and server-rendered pages.

Routers are discovered by convention: ``lingqu.<domain>.endpoints.router`` is mounted under
``/api/v1`` and ``lingqu.<domain>.pages.router`` at the root, so a new domain needs no edit here.
"""

from __future__ import annotations

import importlib
import pkgutil
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

import lingqu
from lingqu.exceptions import LingquError
from lingqu.web.deps import error_page
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
    async def _lingqu_error(request: Request, exc: LingquError):
        """One JSON error shape for the API; for pages, a login redirect (401) or the error page."""
        if request.url.path.startswith("/api/"):
            return JSONResponse(exc.to_dict(), status_code=exc.status_code)
        if exc.status_code == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
        return error_page(request, exc)

    for prefix, router in domain_routers():
        app.include_router(router, prefix=prefix)
    return app


def domain_routers() -> list[tuple[str, object]]:
    """(prefix, router) of every domain: API routers under /api/v1 first, then page routers."""
    domains = sorted(m.name for m in pkgutil.iter_modules(lingqu.__path__) if m.ispkg)
    found = []
    for name, prefix in (("endpoints", "/api/v1"), ("pages", "")):
        for domain in domains:
            module = _domain_module(domain, name)
            if module is not None and hasattr(module, "router"):
                found.append((prefix, module.router))
    return found


def iter_routes():
    """Every route the app serves from the domains: (full path, methods, route). The
    authorization-matrix test walks this, so a new route cannot escape its rule."""
    for prefix, router in domain_routers():
        for route in router.routes:
            yield prefix + route.path, sorted(route.methods - {"HEAD"}), route
