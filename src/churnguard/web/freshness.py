"""The web server follows the warehouse versions that batch jobs publish.

The server reads the published version of a DuckDB warehouse (``Workspace.open(mode="read")``).
Before each request one ``stat`` of the version pointer tells whether a batch job (``churnguard
import``, ``refresh``…) published a newer one; if so the server moves to it between requests,
with the warehouse locks held, and forgets the aggregates it cached for the old one.

Before moving, the request that noticed the new version computes the dashboard's heavy
aggregates (the monthly review of the default month, filter options, warning rules) on it
(:func:`prepare`), so the dashboard opens at once on the new data; meanwhile other requests keep
being served from the old version.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

logger = logging.getLogger(__name__)


def install(app: FastAPI, ws: Workspace) -> None:
    """Check for a newer published version before every request of ``app``."""
    app.state.served_version = ws.warehouse.version
    app.state.preparing = threading.Lock()

    @app.middleware("http")
    async def follow_published(request: Request, call_next: Any) -> Response:
        if ws.warehouse.stale() or ws.warehouse.version != app.state.served_version:
            await run_in_threadpool(catch_up, app, ws)
        return await call_next(request)


def catch_up(app: FastAPI, ws: Workspace) -> bool:
    """:func:`prepare` the new version unless another request already does (that one moves
    the app; this one is served from the old version meanwhile)."""
    if not app.state.preparing.acquire(blocking=False):
        return False
    try:
        return prepare(app, ws)
    finally:
        app.state.preparing.release()


def prepare(app: FastAPI, ws: Workspace) -> bool:
    """Compute the dashboard's aggregates on the newest published version, then move the app
    to it; True when the version served changed."""
    from churnguard.workspace import Workspace

    staged = Workspace(ws.folder, ws.settings, mode="read")
    try:
        if staged.warehouse.version not in (None, ws.warehouse.version):
            warm(staged)
    except Exception:  # the dashboard then computes on first view; serving must go on
        logger.exception("precomputing the dashboard of %s failed", staged.warehouse.version)
    finally:
        staged.close()
    return follow(app, ws)


def warm(ws: Workspace) -> None:
    """The dashboard's heavy aggregates of ``ws``'s data version, into the shared cache
    (:func:`churnguard.report.scope.cached`, keyed by data version)."""
    from churnguard.report.review import monthly_review
    from churnguard.web.pages.data import (
        default_month,
        filter_options,
        fired_rules,
        risk_reasons,
        risk_subjects,
    )

    if not ws.has_table("orders"):
        return
    monthly_review(ws, default_month(ws))
    filter_options(ws)
    for lang in ("zh", "en"):
        fired_rules(ws, ["-"], lang)
        risk_reasons(ws, ["-"], lang)
    risk_subjects(ws, ["-"])


def follow(app: FastAPI, ws: Workspace) -> bool:
    """Move the app's reader to the newest published version and forget the API's cache of
    the old one (the pages' cache is keyed by data version); True when the version changed."""
    from churnguard.report.scope import warehouse_lock

    with app.state.warehouse_lock, warehouse_lock(ws):
        ws.warehouse.follow()
        moved = ws.warehouse.version != getattr(app.state, "served_version", None)
        if moved:
            app.state.cache.clear()
            app.state.served_version = ws.warehouse.version
            logger.info("serving warehouse version %s", ws.warehouse.version)
    return moved
