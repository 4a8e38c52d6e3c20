"""The complaints queue: by response deadline, escalations highlighted; resolve with
compensation and send the follow-up survey."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import case, func, select

from churnguard.constraints import Money
from churnguard.web.deps import DbSession, PageComplaint, PageUser
from churnguard.web.pages.common import redirect, render
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import Complaint, Customer
from churnguard.workflow.services import complaints, scope
from churnguard.workflow.services.complaint_priority import PRIORITY_RANK, complaint_priority

router = APIRouter()
OPEN = ("open", "responded")


@router.get("/complaints")
def complaints_queue(request: Request, user: PageUser, db: DbSession,
                     status: str = "open") -> Response:
    """Open complaints by deadline (escalated first), or the recently resolved ones."""
    query = select(Complaint).where(scope.complaint_clause(user))
    if status == "resolved":
        query = query.where(Complaint.status.in_(("resolved", "closed"))).order_by(
            Complaint.resolved_at.desc())
    else:
        escalated_first = case((Complaint.escalated_at.is_not(None), 0), else_=1)
        query = query.where(Complaint.status.in_(OPEN)).order_by(
            escalated_first, Complaint.response_due_at)
    rows = db.scalars(query.limit(200)).all()
    counts = dict(db.execute(select(Complaint.status, func.count()).where(
        scope.complaint_clause(user)).group_by(Complaint.status)).all())
    now = datetime.now()
    customers = {c.id: c for c in db.scalars(select(Customer).where(
        Customer.id.in_({x.customer_id for x in rows})))}
    priority = {x.id: _priority(x, customers.get(x.customer_id), now) for x in rows}
    if status != "resolved":  # escalated first, then by priority, then by deadline
        rows = sorted(rows, key=lambda x: (x.escalated_at is None,
                                           PRIORITY_RANK[priority[x.id]], x.response_due_at))
    return render(request, "complaints.html", user, rows=rows, status=status, counts=counts,
                  now=now, customers=customers, priority=priority)


def _priority(complaint: Complaint, customer: Customer | None, now: datetime) -> str:
    return complaint_priority(
        severity=complaint.severity, is_core=customer.is_core if customer else None,
        tier=customer.tier if customer else None,
        p_churn=customer.p_churn if customer else None, received_at=complaint.received_at,
        response_due_at=complaint.response_due_at,
        responded=complaint.responded_at is not None, now=now)


@router.post("/complaints/{complaint_id}/resolve")
def resolve(complaint: PageComplaint, user: PageUser, db: DbSession,
            resolution: Annotated[str, Form()], compensation: Annotated[Money, Form()] = 0.0,
            compensation_note: Annotated[str, Form()] = "",
            version: Annotated[int | None, Form()] = None,
            survey: Annotated[bool, Form()] = False) -> Response:
    """Resolve a complaint with its compensation; optionally trigger the follow-up survey."""
    if not resolution.strip():
        raise InvalidInputError("say how the complaint was resolved before closing it.")
    complaints.resolve(db, complaint, version=version, resolution=resolution.strip(),
                       compensation=compensation,
                       compensation_note=compensation_note.strip()[:300] or None,
                       follow_up=survey)
    return redirect("/complaints")

