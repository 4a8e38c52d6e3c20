"""``/api/customers``: the customers the caller may see."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import func, or_, select

from churnguard.constraints import Points, RecordId, ShortText
from churnguard.web.api.common import Page, Paging, paginate, paging
from churnguard.web.deps import CurrentUser, DbSession, VisibleCustomer, visible_customers
from churnguard.workflow.models import Customer, Task
from churnguard.workflow.services import consent, loyalty
from churnguard.workflow.services.worklist import list_order

router = APIRouter(prefix="/customers", tags=["customers"])


class CustomerPublic(BaseModel):
    customer_id: str
    name: str | None
    segment: str | None
    region: str | None
    owner_id: int | None
    tier: str | None
    is_core: bool
    p_churn: float | None
    risk_band: str | None
    health_score: float | None
    clv: float | None
    value_if_retained: float | None
    profit_at_risk: float | None
    lifecycle: str
    status: str


class CustomerDetail(CustomerPublic):
    birthday: date | None
    signup_date: date | None
    contract_end: date | None
    reasons: list | None
    scored_as_of: date | None
    handover_flag: bool
    points_balance: int
    open_tasks: int


def customer_public(customer: Customer) -> CustomerPublic:
    fields = {k: getattr(customer, k) for k in CustomerPublic.model_fields if k != "customer_id"}
    return CustomerPublic(customer_id=customer.id, **fields)


@router.get("")
def list_customers(user: CurrentUser, db: DbSession,
                   paging: Annotated[Paging, Depends(paging)],
                   q: Annotated[str | None, Query(description="id or name contains")] = None,
                   risk_band: str | None = None, segment: str | None = None,
                   owner_id: RecordId | None = None,
                   lifecycle: Annotated[str | None, Query(pattern="^(active|lapsing)$")] = None,
                   sort: Annotated[str, Query(pattern="^(id|risk|value)$")] = "risk",
                   ) -> Page[CustomerPublic]:
    """Customers the caller may see (``lifecycle=active`` the save list, ``lapsing`` the
    win-back list), by default most profit at risk first, ties by value if retained, then id
    (``sort=risk``); ``sort=value`` by value if retained, ``sort=id`` by id."""
    query = visible_customers(user)
    if q:
        query = query.where(or_(Customer.id.contains(q), Customer.name.contains(q)))
    for column, value in ((Customer.risk_band, risk_band), (Customer.segment, segment),
                          (Customer.owner_id, owner_id), (Customer.lifecycle, lifecycle)):
        if value is not None:
            query = query.where(column == value)
    order = {"id": [Customer.id], "risk": list_order("save"),
             "value": list_order("lapsing")}[sort]
    rows, total = paginate(db, query.order_by(*order), paging)
    return Page[CustomerPublic](items=[customer_public(c) for c in rows], total=total,
                                page=paging.page, page_size=paging.page_size)


@router.get("/{customer_id}")
def get_customer(customer: VisibleCustomer, db: DbSession) -> CustomerDetail:
    """One customer (404 when unknown, 403 when it is in someone else's book)."""
    balance = loyalty.points_balance(db, customer.id)
    open_tasks = db.scalar(select(func.count()).select_from(Task).where(
        Task.customer_id == customer.id, Task.status == "open"))
    base = customer_public(customer).model_dump()
    return CustomerDetail(**base, birthday=customer.birthday, signup_date=customer.signup_date,
                          contract_end=customer.contract_end, reasons=customer.reasons,
                          scored_as_of=customer.scored_as_of,
                          handover_flag=customer.handover_flag,
                          points_balance=int(balance or 0), open_tasks=int(open_tasks or 0))


class PointsChange(BaseModel):
    delta: Points
    reason: ShortText


@router.post("/{customer_id}/points")
def change_points(customer: VisibleCustomer, body: PointsChange, user: CurrentUser,
                  db: DbSession) -> dict[str, int]:
    """Add (or redeem, negative) loyalty points; returns the new balance."""
    return {"points_balance": loyalty.add_points(db, customer, body.delta, body.reason,
                                                 by=user)}


class MarketingConsent(BaseModel):
    opted_out: bool
    note: ShortText | None = None


@router.post("/{customer_id}/marketing")
def marketing_consent(customer: VisibleCustomer, body: MarketingConsent, user: CurrentUser,
                      db: DbSession) -> dict[str, object]:
    """Record that the customer opted out of marketing (or back in): campaigns never contact
    an opted-out customer, and an import cannot undo an opt-out recorded here."""
    consent.set_opt_out(db, customer, opted_out=body.opted_out, source="api", by=user,
                        note=body.note)
    return {"customer_id": customer.id, "marketing_opt_out": customer.marketing_opt_out}
