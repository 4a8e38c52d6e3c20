"""``/api/cases``: risk cases, their stages and retention plans; save-rate summaries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from churnguard.constraints import Money, ShortText, Text
from churnguard.web.api.common import Page, Paging, paginate, paging
from churnguard.web.deps import CurrentUser, DbSession, Manager, VisibleCase
from churnguard.workflow.models import Offer, RetentionPlan, RiskCase
from churnguard.workflow.services import cases as service
from churnguard.workflow.services import scope

router = APIRouter(prefix="/cases", tags=["risk cases"])


class CasePublic(BaseModel):
    id: int
    customer_id: str
    owner_id: int | None
    segment: str | None
    stage: str
    reasons: list | None
    value_at_risk: float | None
    opened_at: datetime
    closed_at: datetime | None


class CaseDetail(CasePublic):
    days_in_stage: dict[str, float]
    plans: list[dict[str, Any]]


class StageMove(BaseModel):
    stage: ShortText


class PlanCreate(BaseModel):
    summary: Text
    offers: list[tuple[ShortText, Money]] = []


def _public(case: RiskCase) -> CasePublic:
    return CasePublic(**{k: getattr(case, k) for k in CasePublic.model_fields})


@router.get("")
def list_cases(user: CurrentUser, db: DbSession, paging: Annotated[Paging, Depends(paging)],
               stage: str | None = None, open_only: bool = True) -> Page[CasePublic]:
    """Risk cases the caller may see, most value at risk first."""
    query = select(RiskCase).where(scope.case_clause(user))
    if stage:
        query = query.where(RiskCase.stage == stage)
    elif open_only:
        query = query.where(RiskCase.stage.not_in(service.CLOSED))
    query = query.order_by(RiskCase.value_at_risk.desc().nulls_last(), RiskCase.id)
    rows, total = paginate(db, query, paging)
    return Page[CasePublic](items=[_public(c) for c in rows], total=total, page=paging.page,
                            page_size=paging.page_size)


@router.get("/summary")
def summary(user: Manager, db: DbSession,
            by: Annotated[str, Query(pattern="^(owner|segment)$")] = "owner",
            ) -> list[dict[str, Any]]:
    """Save rate (recovered / closed) and average days to resolve per owner or segment, over
    the cases the caller may see (a manager: their team's)."""
    frame = service.save_rate_summary(db, by=by, only=scope.case_clause(user))
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


@router.get("/{case_id}")
def get_case(case: VisibleCase, db: DbSession) -> CaseDetail:
    """One case with days per stage and its plans and offers."""
    plans = []
    for plan in db.scalars(select(RetentionPlan).where(RetentionPlan.case_id == case.id)):
        offers = db.scalars(select(Offer).where(Offer.plan_id == plan.id)).all()
        plans.append({"id": plan.id, "summary": plan.summary, "created_at": plan.created_at,
                      "offers": [{"id": o.id, "description": o.description, "cost": o.cost,
                                  "accepted": o.accepted} for o in offers]})
    return CaseDetail(**_public(case).model_dump(), plans=plans,
                      days_in_stage=service.stage_days(db, case))


@router.post("/{case_id}/stage")
def move(case: VisibleCase, body: StageMove, db: DbSession) -> CasePublic:
    """Move the case to the next stage (``recovered``/``lost`` close it)."""
    return _public(service.move_case(db, case, body.stage))


@router.post("/{case_id}/plans", status_code=201)
def add_plan(case: VisibleCase, body: PlanCreate, user: CurrentUser, db: DbSession
             ) -> CasePublic:
    """Write a retention plan with offers ``[description, cost]``."""
    service.add_plan(db, case, body.summary, author=user, offers=body.offers)
    return _public(case)
