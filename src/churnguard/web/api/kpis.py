"""``/api/kpis``: the loyalty KPIs of the business and the caller's workflow figures."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from churnguard.constraints import Day
from churnguard.web.deps import CurrentUser, DbSession
from churnguard.workflow.models import CampaignMember
from churnguard.workflow.services import campaigns, reporting, scope

router = APIRouter(prefix="/kpis", tags=["kpis"])


@router.get("")
def get_kpis(request: Request, user: CurrentUser, db: DbSession,
             end: Annotated[Day | None, Query(description="end of the span, exclusive "
                                                            "(default today)")] = None,
             months: Annotated[int, Query(ge=1, le=60)] = 12,
             freq: Annotated[str, Query(pattern="^(month|quarter|year|all)$")] = "month",
             ) -> dict[str, Any]:
    """``loyalty``: the ten loyalty KPIs of the whole business per period over the ``months``
    before ``end`` (from :func:`churnguard.metrics.loyalty_kpis`; ``null`` without a workspace);
    ``workflow``: open and overdue tasks and complaints, open cases, the save rate and the
    win-back success rate within what the caller may see."""
    end = end or date.today()
    start = end - timedelta(days=round(months * 365.25 / 12))
    workflow = reporting.workflow_summary(db, user, as_of=end)
    workflow["win_back_success_rate"] = campaigns.win_back_success_rate(
        db, only=scope.on_visible_customer(user, CampaignMember.customer_id))
    return {"start": start.isoformat(), "end": end.isoformat(), "freq": freq,
            "loyalty": _loyalty(request, start, end, None if freq == "all" else freq),
            "workflow": workflow}


def _loyalty(request: Request, start: date, end: date, freq: str | None
             ) -> list[dict[str, Any]] | None:
    ws = request.app.state.workspace
    if ws is None:
        return None
    try:
        from churnguard.metrics import loyalty_kpis
    except ImportError:
        return None
    cache: dict[Any, Any] = request.app.state.cache
    key = ("loyalty_kpis", start, end, freq)
    with request.app.state.warehouse_lock:  # one warehouse connection: one thread at a time
        if key not in cache:
            if not ws.has_table("orders"):
                return None
            frame = loyalty_kpis(ws, start, end, freq=freq, churn=ws.churn_definition(),
                                 history_start=ws.history_start())
            cache[key] = json.loads(frame.to_json(orient="records", date_format="iso"))
        return cache[key]
