"""The complaints queue: by response deadline, escalations highlighted; resolve with
compensation and send the follow-up survey."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import case, func, select

from churnguard.web.deps import DbSession, PageComplaint, PageUser
from churnguard.web.pages.common import redirect, render
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import Complaint, Customer, Survey, utcnow
from churnguard.workflow.services import scope
from churnguard.workflow.services.tasks import check_version, create_task

router = APIRouter()
OPEN = ("open", "responded")
FOLLOW_UP_DAYS = 7


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
    return render(request, "complaints.html", user, rows=rows, status=status, counts=counts,
                  now=datetime.now())


def resolve_complaint(db: DbSession, complaint: Complaint, *, resolution: str,
                      compensation: float, note: str, version: int | None,
                      survey: bool) -> Complaint:
    """Resolve ``complaint`` (optimistic lock on ``version``) and send the follow-up survey
    with a follow-up task for the owner when ``survey`` is set."""
    check_version(complaint.version, version)
    if complaint.status in ("resolved", "closed"):
        raise InvalidInputError(f"complaint #{complaint.id} is already {complaint.status}.")
    if not resolution.strip():
        raise InvalidInputError("say how the complaint was resolved before closing it.")
    if compensation < 0:
        raise InvalidInputError(f"compensation cannot be negative (got {compensation}).")
    now = utcnow()
    complaint.resolution = resolution.strip()
    complaint.compensation = float(compensation)
    complaint.compensation_note = note.strip()[:300] or None
    complaint.status = "resolved"
    complaint.resolved_at = now
    complaint.responded_at = complaint.responded_at or now
    complaint.version += 1
    if survey:
        db.add(Survey(customer_id=complaint.customer_id, kind="complaint_follow_up",
                      complaint_id=complaint.id, sent_at=now))
        customer = db.get(Customer, complaint.customer_id)
        create_task(db, customer, kind="complaint_follow_up",
                    title=f"Follow-up survey on complaint #{complaint.id}",
                    due_date=date.today() + timedelta(days=FOLLOW_UP_DAYS),
                    owner_id=complaint.owner_id,
                    source_key=f"complaint-follow-up:{complaint.id}")
    db.flush()
    return complaint


@router.post("/complaints/{complaint_id}/resolve")
def resolve(complaint: PageComplaint, user: PageUser, db: DbSession,
            resolution: Annotated[str, Form()], compensation: Annotated[float, Form()] = 0.0,
            compensation_note: Annotated[str, Form()] = "",
            version: Annotated[int | None, Form()] = None,
            survey: Annotated[bool, Form()] = False) -> Response:
    """Resolve a complaint with its compensation; optionally trigger the follow-up survey."""
    resolve_complaint(db, complaint, resolution=resolution, compensation=compensation,
                      note=compensation_note, version=version, survey=survey)
    return redirect("/complaints")

