"""``/api/archive``: the churn archive of visible customers, return visits, win-backs."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select

from churnguard.constraints import Day, Text
from churnguard.web.api.common import Page, Paging, paginate, paging
from churnguard.web.deps import CurrentUser, DbSession, VisibleCustomer
from churnguard.workflow.errors import NotFoundError
from churnguard.workflow.models import ChurnRecord, Customer
from churnguard.workflow.services import archive as service
from churnguard.workflow.services import scope

router = APIRouter(prefix="/archive", tags=["churn archive"])


class ChurnRecordPublic(BaseModel):
    customer_id: str
    churn_date: date
    reason: str | None
    valuable: bool
    notes: str | None
    won_back_on: date | None


class Visit(BaseModel):
    visited_on: Day
    note: Text | None = None


class WonBack(BaseModel):
    on: Day


def _public(record: ChurnRecord) -> ChurnRecordPublic:
    return ChurnRecordPublic(**{k: getattr(record, k) for k in ChurnRecordPublic.model_fields})


def _record(db: DbSession, customer: Customer) -> ChurnRecord:
    record = db.scalar(select(ChurnRecord).where(ChurnRecord.customer_id == customer.id))
    if record is None:
        raise NotFoundError(f"customer {customer.id} is not in the churn archive.")
    return record


@router.get("")
def list_archive(user: CurrentUser, db: DbSession, paging: Annotated[Paging, Depends(paging)],
                 valuable: bool | None = None) -> Page[ChurnRecordPublic]:
    """Archived customers the caller may see, latest churn first."""
    query = select(ChurnRecord).where(scope.on_visible_customer(user, ChurnRecord.customer_id))
    if valuable is not None:
        query = query.where(ChurnRecord.valuable.is_(valuable))
    rows, total = paginate(db, query.order_by(ChurnRecord.churn_date.desc(),
                                              ChurnRecord.customer_id), paging)
    return Page[ChurnRecordPublic](items=[_public(r) for r in rows], total=total,
                                   page=paging.page, page_size=paging.page_size)


@router.post("/{customer_id}/visits", status_code=201)
def visit(customer: VisibleCustomer, body: Visit, user: CurrentUser, db: DbSession
          ) -> ChurnRecordPublic:
    """Log a return visit (回访)."""
    record = _record(db, customer)
    service.add_visit(db, record, visited_on=body.visited_on, note=body.note, by=user)
    return _public(record)


@router.post("/{customer_id}/won-back")
def won_back(customer: VisibleCustomer, body: WonBack, db: DbSession) -> ChurnRecordPublic:
    """Record that the customer came back."""
    return _public(service.mark_won_back(db, _record(db, customer), on=body.on))
