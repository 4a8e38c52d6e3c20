"""The HTML pages of the web app (Jinja2 + htmx + ECharts), in Chinese and English.

``router`` holds every page route; :func:`mount_static` serves ``/static`` (the app's own CSS,
JS and the vendored ECharts/htmx) from the package folder, so the app works offline;
:func:`render_error` turns errors into a page for browsers.
"""

from __future__ import annotations

import sys
import threading
from importlib import resources

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from churnguard.i18n import translate, translate_message
from churnguard.web.pages import (
    admin,
    archive,
    auth,
    campaigns,
    complaints,
    customer,
    dashboard,
    drill,
    jobs,
    profile,
    team,
    worklist,
)
from churnguard.web.pages.common import language, render

__all__ = ["mount_static", "render_error", "router", "warm_cache"]

router = APIRouter(include_in_schema=False)
for _module in (auth, dashboard, drill, team, worklist, customer, complaints, campaigns,
                archive, admin, profile, jobs):
    router.include_router(_module.router)


def mount_static(app: FastAPI) -> None:
    """Serve ``/static`` from ``churnguard/web/static`` (CSS, JS, vendored ECharts and htmx)."""
    folder = resources.files("churnguard.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(folder)), name="static")


def render_error(request: Request, status: int, detail: str, code: str) -> HTMLResponse:
    """An error page in the user's language (the app calls this for browser requests)."""
    messages = {403: "common.forbidden", 404: "common.not_found"}
    lang = language(request)
    message = translate(messages.get(status, "common.error"), lang, detail=detail)
    # the app's error handler runs inside its ``except``: the error being handled is there
    localized = getattr(sys.exc_info()[1], "i18n", None)
    if localized:
        detail = translate_message(localized[0], localized[1], lang)
    user = _fresh_user(request)
    return render(request, "error.html", user, status_code=status, status=status,
                  message=message, detail=detail, code=code)


def _fresh_user(request: Request) -> object | None:
    """The logged-in user re-read in a new session (the request's session is closed and its
    objects expired when an error ends a request)."""
    user = getattr(request.state, "user", None)
    if user is None:
        return None
    from sqlalchemy import inspect

    from churnguard.workflow.models import User

    identity = inspect(user).identity
    if not identity:
        return None
    session = request.app.state.sessionmaker()
    fresh = session.get(User, identity[0])
    session.expunge_all()
    session.close()
    return fresh



def warm_cache(app: FastAPI, *, background: bool = True) -> threading.Thread | None:
    """Compute the dashboard's heavy aggregates (default month, filters, warning rules) now, so
    the first visitor does not wait; in a background thread unless ``background=False``.

    ``churnguard serve`` and the benchmark call it; the cache refreshes itself when the
    warehouse changes (a load or ``churnguard sync``).
    """
    ws = getattr(app.state, "workspace", None)
    if ws is None:
        return None

    def work() -> None:
        from churnguard.report.review import monthly_review
        from churnguard.web.pages.data import (
            default_month,
            filter_options,
            fired_rules,
            risk_reasons,
            risk_subjects,
        )

        lock = getattr(app.state, "warehouse_lock", None) or threading.Lock()
        with lock:
            monthly_review(ws, default_month(ws))
            filter_options(ws)
            for lang in ("zh", "en"):
                fired_rules(ws, ["-"], lang)
                risk_reasons(ws, ["-"], lang)
            risk_subjects(ws, ["-"])

    if not background:
        work()
        return None
    thread = threading.Thread(target=work, name="churnguard-warm-cache", daemon=True)
    thread.start()
    return thread
