"""``/api/kpis``: the loyalty KPIs of the business and the caller's workflow figures."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request

from churnguard.web.deps import CurrentUser, DbSession
from churnguard.workflow.services import reporting

router = APIRouter(prefix="/kpis", tags=["kpis"])


@router.get("")
def get_kpis(request: Request, user: CurrentUser, db: DbSession,
             as_of: date | None = None) -> dict[str, Any]:
    """``loyalty``: the ten loyalty KPIs of the whole business (from the warehouse, when
    :func:`churnguard.metrics.loyalty_kpis` is available); ``workflow``: open and overdue tasks,
    complaints and the save rate within what the caller may see."""
    as_of = as_of or date.today()
    return {"as_of": as_of.isoformat(),
            "loyalty": _loyalty(request, as_of),
            "workflow": reporting.workflow_summary(db, user, as_of=as_of)}


def _loyalty(request: Request, as_of: date) -> list[dict[str, Any]] | None:
    ws = request.app.state.workspace
    if ws is None:
        return None
    try:
        from churnguard.metrics import loyalty_kpis
    except ImportError:
        return None
    cache: dict[Any, Any] = request.app.state.cache
    key = ("loyalty_kpis", as_of)
    if key not in cache:
        with request.app.state.warehouse_lock:
            frame = loyalty_kpis(ws, as_of)
        cache[key] = frame.to_dict(orient="records") if hasattr(frame, "to_dict") else frame
    return cache[key]
