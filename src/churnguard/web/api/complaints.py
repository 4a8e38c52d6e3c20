"""``/api/complaints``: log, respond, resolve (with compensation), edit with a version."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import select

from churnguard.constraints import Code, Money, ShortText, Text
from churnguard.web.api.common import Page, Paging, paginate, paging
from churnguard.web.deps import CurrentUser, DbSession, VisibleComplaint
from churnguard.workflow.models import Complaint, utcnow
from churnguard.workflow.services import complaints as service
from churnguard.workflow.services import scope
from churnguard.workflow.settings import WorkflowPolicy

router = APIRouter(prefix="/complaints", tags=["complaints"])


class ComplaintPublic(BaseModel):
    id: int
    customer_id: str
    owner_id: int | None
    severity: str
    reason: str | None
    description: str
    status: str
    received_at: datetime
    response_due_at: datetime
    responded_at: datetime | None
    escalated_at: datetime | None
    escalated_to_id: int | None
    resolution: str | None
    resolved_at: datetime | None
    compensation: float
    compensation_note: str | None
    version: int


class ComplaintCreate(BaseModel):
    customer_id: str
    severity: Code = "medium"
    reason: Code | None = None
    description: Text = ""


class ComplaintUpdate(BaseModel):
    version: int
    severity: Code | None = None
    reason: Code | None = None
    description: Text | None = None


class Versioned(BaseModel):
    version: int


class Resolution(BaseModel):
    version: int
    resolution: Text
    compensation: Money = 0.0
    compensation_note: ShortText | None = None


def policy(request: Request) -> WorkflowPolicy:
    """The workspace's workflow policy (defaults without a workspace)."""
    return WorkflowPolicy.of(request.app.state.workspace)


def _public(complaint: Complaint) -> ComplaintPublic:
    return ComplaintPublic(**service.complaint_public(complaint))


@router.get("")
def list_complaints(user: CurrentUser, db: DbSession,
                    paging: Annotated[Paging, Depends(paging)], status: str | None = None,
                    customer_id: str | None = None, overdue: bool = False,
                    ) -> Page[ComplaintPublic]:
    """Complaints the caller may see, the nearest deadline first."""
    query = select(Complaint).where(scope.complaint_clause(user))
    if status:
        query = query.where(Complaint.status == status)
    if customer_id:
        query = query.where(Complaint.customer_id == customer_id)
    if overdue:
        query = query.where(Complaint.responded_at.is_(None),
                            Complaint.response_due_at < utcnow())
    rows, total = paginate(db, query.order_by(Complaint.response_due_at, Complaint.id), paging)
    return Page[ComplaintPublic](items=[_public(c) for c in rows], total=total,
                                 page=paging.page, page_size=paging.page_size)


@router.post("", status_code=201)
def create_complaint(body: ComplaintCreate, user: CurrentUser, db: DbSession,
                     request: Request) -> ComplaintPublic:
    """Log a complaint for a customer the caller may see; the deadline follows the severity."""
    customer = scope.get_customer(db, user, body.customer_id)
    return _public(service.log_complaint(db, customer, severity=body.severity,
                                         reason=body.reason, description=body.description,
                                         policy=policy(request)))


@router.get("/{complaint_id}")
def get_complaint(complaint: VisibleComplaint) -> ComplaintPublic:
    """One complaint."""
    return _public(complaint)


@router.patch("/{complaint_id}")
def update_complaint(complaint: VisibleComplaint, body: ComplaintUpdate, db: DbSession,
                     request: Request) -> ComplaintPublic:
    """Edit severity, reason or description; 409 when ``version`` is stale."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"version"})
    return _public(service.update_complaint(db, complaint, version=body.version,
                                            policy=policy(request), **changes))


@router.post("/{complaint_id}/respond")
def respond(complaint: VisibleComplaint, body: Versioned, db: DbSession) -> ComplaintPublic:
    """Record the first response to the customer."""
    return _public(service.respond(db, complaint, version=body.version))


@router.post("/{complaint_id}/resolve")
def resolve(complaint: VisibleComplaint, body: Resolution, db: DbSession) -> ComplaintPublic:
    """Resolve with the resolution and any compensation; a follow-up survey is sent."""
    return _public(service.resolve(db, complaint, version=body.version,
                                   resolution=body.resolution, compensation=body.compensation,
                                   compensation_note=body.compensation_note))
