"""``/api/care``: upcoming care events (birthdays, holidays, anniversaries) of visible
customers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select

from churnguard.constraints import Day, Days
from churnguard.web.api.common import Page, Paging, paginate, paging
from churnguard.web.deps import CurrentUser, DbSession, VisibleCareEvent
from churnguard.workflow.models import CareEvent
from churnguard.workflow.services import care as service
from churnguard.workflow.services import scope

router = APIRouter(prefix="/care", tags=["care"])


class CareEventPublic(BaseModel):
    id: int
    customer_id: str
    kind: str
    event_date: date
    status: str


class CareDone(BaseModel):
    done: bool = True


def _public(event: CareEvent) -> CareEventPublic:
    return CareEventPublic(**{k: getattr(event, k) for k in CareEventPublic.model_fields})


@router.get("")
def list_care(user: CurrentUser, db: DbSession, paging: Annotated[Paging, Depends(paging)],
              start: Day | None = None, days: Days = 30, status: str = "planned"
              ) -> Page[CareEventPublic]:
    """Care events of the caller's customers in ``[start, start + days]``."""
    start = start or date.today()
    query = select(CareEvent).where(scope.on_visible_customer(user, CareEvent.customer_id),
                                    CareEvent.event_date >= start,
                                    CareEvent.event_date <= start + timedelta(days=days))
    if status != "all":
        query = query.where(CareEvent.status == status)
    rows, total = paginate(db, query.order_by(CareEvent.event_date, CareEvent.id), paging)
    return Page[CareEventPublic](items=[_public(e) for e in rows], total=total,
                                 page=paging.page, page_size=paging.page_size)


@router.post("/{event_id}/done")
def done(event: VisibleCareEvent, body: CareDone, db: DbSession) -> CareEventPublic:
    """Mark a care touch done (or skipped with ``{"done": false}``)."""
    return _public(service.complete_care_event(db, event, done=body.done))
