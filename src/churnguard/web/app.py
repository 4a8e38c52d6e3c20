"""The FastAPI application: JSON API under ``/api``, HTML pages, OpenAPI at ``/docs``.

Examples
--------
>>> from fastapi.testclient import TestClient
>>> app = create_app(database_url="sqlite://")
>>> TestClient(app).get("/api/tasks").json()["code"]
'unauthorized'
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.pool import StaticPool
from starlette.exceptions import HTTPException as StarletteHTTPException

from churnguard.errors import ChurnguardError, ConfigError
from churnguard.web import freshness
from churnguard.web.deps import LoginRequired
from churnguard.web.middleware import BodyLimit, SecurityHeaders
from churnguard.web.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CookieSigner,
    WebSettings,
    csrf_token,
    csrf_valid,
    verify_csrf,
)
from churnguard.workflow.db import make_engine, make_sessionmaker, migrate

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

STATUS_BY_CODE = {"not_found": 404, "forbidden": 403, "csrf_failed": 403, "unauthorized": 401,
                  "rate_limited": 429, "conflict": 409, "invalid": 422}
SECRET_FILE = ".secret_key"
logger = logging.getLogger(__name__)


def create_app(ws: Workspace | None = None, *, database_url: str | None = None,
               settings: WebSettings | None = None) -> FastAPI:
    """Build the web app for workspace ``ws`` (or only an app database at ``database_url``).

    The app database is migrated to the latest schema first. ``settings`` default to the
    workspace's ``[app]`` section.
    """
    url = database_url or (ws.app_database_url if ws is not None else None)
    if url is None:
        raise ConfigError("create_app needs a workspace or database_url=, e.g. "
                          "create_app(Workspace.open('shop')).")
    settings = settings or _settings_from(ws)
    if url in ("sqlite://", "sqlite:///:memory:"):
        engine = make_engine(url, poolclass=StaticPool)
    else:  # one connection per worker thread (uvicorn runs sync routes on 40 threads)
        engine = make_engine(url, pool_size=10, max_overflow=30, pool_timeout=60)
    migrate(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = None
        scheduler = _start_operations(app, ws)
        if settings.escalation_minutes > 0:
            await _escalate_once(app)
            loop = asyncio.create_task(_escalate_every(app, settings.escalation_minutes * 60))
        yield
        if scheduler is not None:
            scheduler.stop()
        if loop is not None:
            loop.cancel()
        engine.dispose()

    app = FastAPI(title="churnguard", version="1", lifespan=lifespan,
                  dependencies=[Depends(verify_csrf)])
    app.state.workspace = ws
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.signer = CookieSigner(settings.secret_key or workspace_secret(ws))
    app.state.warehouse_lock = threading.Lock()
    app.state.write_lock = threading.Lock() if url.startswith("sqlite") else None
    app.state.cache = {}
    _add_error_handlers(app)
    _add_csrf_cookie(app)
    if ws is not None:
        _add_settings_reload(app, ws)
        if ws.warehouse.mode == "read":
            freshness.install(app, ws)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    from churnguard.web.api import router as api_router

    app.include_router(api_router)
    _include_pages(app)
    return app


def _start_operations(app: FastAPI, ws: Workspace | None) -> Any:
    """Mark jobs left running by a stopped server as failed, and start the workspace's
    ``[schedule]`` (docs/operations.md); returns the scheduler, if this worker runs it."""
    from churnguard.web import schedule
    from churnguard.workflow.db import session_scope
    from churnguard.workflow.jobs import fail_interrupted

    with session_scope(app.state.sessionmaker) as session:
        fail_interrupted(session)
    return schedule.install(app, ws) if ws is not None else None


async def _escalate_once(app: FastAPI) -> None:
    """Escalate overdue complaints to the owners' managers (one round, in a worker thread)."""
    from starlette.concurrency import run_in_threadpool

    from churnguard.workflow.db import session_scope
    from churnguard.workflow.services.complaints import escalate_overdue

    def once() -> None:
        with session_scope(app.state.sessionmaker) as session:
            escalate_overdue(session)

    try:
        await run_in_threadpool(once)
    except Exception:  # a failed round must not stop the server; the next one retries
        logger.exception("escalating overdue complaints failed")


async def _escalate_every(app: FastAPI, seconds: float) -> None:
    """Escalate overdue complaints every ``seconds`` while the server runs."""
    while True:
        await asyncio.sleep(seconds)
        await _escalate_once(app)


def app_from_environment() -> FastAPI:
    """The app of the workspace in ``$CHURNGUARD_WORKSPACE`` (for multi-worker uvicorn)."""
    import os

    from churnguard.workspace import Workspace

    folder = os.environ.get("CHURNGUARD_WORKSPACE")
    if not folder:
        raise ConfigError("CHURNGUARD_WORKSPACE is not set; run `churnguard serve -w FOLDER`.")
    return create_app(Workspace.open(folder, mode="read"))


def _settings_from(ws: Workspace | None) -> WebSettings:
    if ws is None:
        return WebSettings()
    app = ws.settings.app
    return WebSettings(secret_key=app.secret_key, session_hours=app.session_hours,
                       secure_cookies=app.secure_cookies,
                       trusted_proxies=tuple(app.trusted_proxies),
                       max_body_bytes=app.max_body_bytes)


def workspace_secret(ws: Workspace | None) -> str:
    """The workspace's cookie secret (created once in ``.secret_key``), or a random one."""
    if ws is None:
        return secrets.token_urlsafe(32)
    path = Path(ws.folder) / SECRET_FILE
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _include_pages(app: FastAPI) -> None:
    """Mount the HTML pages (issue 8) when that package is present."""
    try:
        from churnguard.web.pages import router as pages_router
    except ImportError:
        return
    app.include_router(pages_router)
    try:
        from churnguard.web.pages import mount_static
    except ImportError:
        return
    mount_static(app)


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """Every ``(method, path)`` the app answers (HEAD and mounts left out), sorted.

    Works with FastAPI's lazily included routers, whose ``app.routes`` entries are not plain
    routes.

    Examples
    --------
    >>> ("POST", "/api/auth/login") in route_table(create_app(database_url="sqlite://"))
    True
    """
    found: set[tuple[str, str]] = set()

    def visit(route: Any, path: str | None = None) -> None:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for context in contexts():
                visit(context.original_route, context.path)
            return
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, path or route.path))

    for route in app.routes:
        visit(route)
    return sorted(found, key=lambda item: (item[1], item[0]))


def error_body(detail: str, code: str) -> dict[str, str]:
    """The one error shape of the API: ``{"detail": ..., "code": ...}``.

    Examples
    --------
    >>> error_body("task 7 does not exist.", "not_found")
    {'detail': 'task 7 does not exist.', 'code': 'not_found'}
    """
    return {"detail": detail, "code": code}


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ChurnguardError)
    async def churnguard_error(request: Request, exc: ChurnguardError) -> Response:
        status = STATUS_BY_CODE.get(exc.code, 400)
        return _error(request, status, str(exc), exc.code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized",
                403: "forbidden", 413: "payload_too_large"}.get(exc.status_code, "http_error")
        return _error(request, exc.status_code, str(exc.detail), code,
                      headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"] if p != "body")
        return _error(request, 422, f"{where}: {first['msg']}" if where else first["msg"],
                      "invalid")

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)


def _error(request: Request, status: int, detail: str, code: str,
           headers: dict[str, str] | None = None) -> Response:
    """JSON for the API; pages may render HTML through ``churnguard.web.pages.render_error``."""
    if not request.url.path.startswith("/api") and "text/html" in request.headers.get(
            "accept", ""):
        try:
            from churnguard.web.pages import render_error
        except ImportError:
            pass
        else:
            return render_error(request, status, detail, code)
    return JSONResponse(error_body(detail, code), status_code=status, headers=headers)


def _add_csrf_cookie(app: FastAPI) -> None:
    @app.middleware("http")
    async def csrf_cookie(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        signer: CookieSigner = app.state.signer
        issued = any(value.startswith(f"{CSRF_COOKIE}=")  # a login issues its own
                     for value in response.headers.getlist("set-cookie"))
        if not issued and not csrf_valid(signer, request.cookies.get(CSRF_COOKIE),
                                         request.cookies.get(SESSION_COOKIE)):
            token = csrf_token(request)
            response.set_cookie(CSRF_COOKIE, token, httponly=False, samesite="lax",
                                secure=app.state.settings.secure_cookies)
        return response


def _add_settings_reload(app: FastAPI, ws: Workspace) -> None:
    """Re-read ``churnguard.toml`` when it changed (an admin's edit in another server process,
    or by hand), so every process uses the settings on disk without a restart."""
    from churnguard.config_edit import reload_if_changed

    reload_if_changed(ws)  # remember the file as it is now

    @app.middleware("http")
    async def settings_reload(request: Request, call_next: Any) -> Response:
        reload_if_changed(ws)
        return await call_next(request)
