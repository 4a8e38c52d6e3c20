"""``POST /api/sync``: run ``churnguard sync`` inside the server (admins only).

``churnguard sync`` runs beside the server as well; this endpoint is for admins without a
shell. The sync writes through a writer of the workspace and publishes a new warehouse
version, which the server then reads.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from churnguard.constraints import Day
from churnguard.errors import ConfigError
from churnguard.web import freshness
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
    with ws.writing() as writer:
        result = sync(writer, db, as_of=as_of)
    freshness.follow(request.app, ws)
    return {**result.as_dict(), "as_of": result.as_of.isoformat()}
