"""``POST /api/sync``: run ``churnguard sync`` inside the server (admins only).

The server holds the DuckDB warehouse open, so a separate ``churnguard sync`` process cannot
open it while the server runs; schedule this endpoint instead (e.g. from cron with an admin's
session cookie).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from churnguard.constraints import Day
from churnguard.errors import ConfigError
from churnguard.web.deps import Admin, DbSession
from churnguard.workflow.services.sync import sync

router = APIRouter(prefix="/sync", tags=["sync"])


@router.post("")
def run_sync(request: Request, user: Admin, db: DbSession, as_of: Day | None = None
             ) -> dict[str, Any]:
    """Pull scores, tiers, customers and owners; create playbook tasks; push results back."""
    ws = request.app.state.workspace
    if ws is None:
        raise ConfigError("this server runs without a workspace; start it with "
                          "`churnguard serve --workspace FOLDER` to sync.")
    with request.app.state.warehouse_lock:
        result = sync(ws, db, as_of=as_of)
    return {**result.as_dict(), "as_of": result.as_of.isoformat()}
