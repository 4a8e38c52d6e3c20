"""The web server follows the warehouse versions that batch jobs publish.

The server reads the published version of a DuckDB warehouse (``Workspace.open(mode="read")``).
Before each request one ``stat`` of the version pointer tells whether a batch job (``churnguard
import``, ``refresh``…) published a newer one; if so the server moves to it between requests,
with the warehouse locks held, and forgets the aggregates it cached for the old one.
"""

from __future__ import annotations

import logging
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

    @app.middleware("http")
    async def follow_published(request: Request, call_next: Any) -> Response:
        if ws.warehouse.stale() or ws.warehouse.version != app.state.served_version:
            await run_in_threadpool(follow, app, ws)
        return await call_next(request)


def follow(app: FastAPI, ws: Workspace) -> bool:
    """Move the app's reader to the newest published version and forget what was cached for
    the old one; True when the version served changed."""
    from churnguard.report.scope import invalidate, warehouse_lock

    with app.state.warehouse_lock, warehouse_lock(ws):
        ws.warehouse.follow()
        moved = ws.warehouse.version != getattr(app.state, "served_version", None)
        if moved:
            app.state.cache.clear()
            invalidate(ws)
            app.state.served_version = ws.warehouse.version
            logger.info("serving warehouse version %s", ws.warehouse.version)
    return moved
