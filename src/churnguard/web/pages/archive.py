"""The churn archive (流失客户档案) and the improvements that close the feedback loop."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import case, func, select

from churnguard.constraints import Code, Day, RecordId
from churnguard.web.deps import DbSession, PageUser
from churnguard.web.pages.common import language, page_role, redirect, render
from churnguard.web.pages.customer import reason_choices
from churnguard.workflow.errors import InvalidInputError, NotFoundError
from churnguard.workflow.models import (
    ChurnRecord,
    Complaint,
    Customer,
    Improvement,
    ImprovementCustomer,
    ReturnVisit,
    User,
    utcnow,
)
from churnguard.workflow.services import archive as archive_service
from churnguard.workflow.services import scope

router = APIRouter()
Manager = Annotated[User, page_role("manager", "admin")]


@router.get("/archive")
def archive(request: Request, user: PageUser, db: DbSession, reason: str = "",
            valuable: str = "") -> Response:
    """Churned customers the user may see: when, why, valuable?, return visits, won back."""
    visible = select(Customer.id).where(scope.customer_clause(user))
    visits = (select(ReturnVisit.record_id, func.count().label("n"))
              .group_by(ReturnVisit.record_id).subquery())
    query = (select(ChurnRecord, Customer, func.coalesce(visits.c.n, 0))
             .join(Customer, Customer.id == ChurnRecord.customer_id)
             .outerjoin(visits, visits.c.record_id == ChurnRecord.id)
             .where(ChurnRecord.customer_id.in_(visible)))
    if reason:
        query = query.where(ChurnRecord.reason == reason)
    if valuable in ("yes", "no"):
        query = query.where(ChurnRecord.valuable.is_(valuable == "yes"))
    rows = db.execute(query.order_by(ChurnRecord.churn_date.desc()).limit(300)).all()
    by_reason = db.execute(select(ChurnRecord.reason, func.count()).where(
        ChurnRecord.customer_id.in_(visible)).group_by(ChurnRecord.reason)
        .order_by(func.count().desc())).all()
    return render(request, "archive.html", user, rows=rows, by_reason=by_reason, reason=reason,
                  valuable=valuable, reasons=dict(reason_choices(language(request))))


@router.post("/archive/{record_id}/visit")
def add_visit(record_id: RecordId, user: PageUser, db: DbSession,
              note: Annotated[str, Form()] = "",
              visited_on: Annotated[Day | None, Form()] = None) -> Response:
    """Log a return visit to a churned customer (回访)."""
    record = db.get(ChurnRecord, record_id)
    if record is None:
        raise NotFoundError(f"churn record {record_id} does not exist.")
    scope.get_customer(db, user, record.customer_id)  # 403 when not the user's customer
    archive_service.add_visit(db, record, visited_on=visited_on or date.today(),
                              note=note.strip() or None, by=user)
    return redirect("/archive")


@router.get("/improvements")
def improvements(request: Request, user: Manager, db: DbSession) -> Response:
    """Fixes made for complaint reasons, the customers who raised them, and who was told."""
    counts = (select(ImprovementCustomer.improvement_id, func.count().label("n"),
                     func.sum(case((ImprovementCustomer.notified.is_(True), 1), else_=0))
                     .label("told"))
              .group_by(ImprovementCustomer.improvement_id).subquery())
    rows = db.execute(select(Improvement, func.coalesce(counts.c.n, 0),
                             func.coalesce(counts.c.told, 0))
                      .outerjoin(counts, counts.c.improvement_id == Improvement.id)
                      .order_by(Improvement.created_at.desc())).all()
    open_reasons = db.execute(select(Complaint.reason, func.count()).where(
        Complaint.reason.is_not(None)).group_by(Complaint.reason)
        .order_by(func.count().desc())).all()
    return render(request, "improvements.html", user, rows=rows, open_reasons=open_reasons,
                  reasons=reason_choices(language(request)))


@router.post("/improvements")
def add_improvement(user: Manager, db: DbSession, reason: Annotated[Code, Form()],
                    description: Annotated[str, Form()]) -> Response:
    """Record a fix for a complaint reason and link every customer who complained about it."""
    if not description.strip():
        raise InvalidInputError("describe the improvement that was made.")
    improvement = Improvement(reason=reason, description=description.strip(),
                              created_by_id=user.id, done_at=utcnow())
    db.add(improvement)
    db.flush()
    complaints = db.execute(select(Complaint.customer_id, func.max(Complaint.id))
                            .where(Complaint.reason == reason)
                            .group_by(Complaint.customer_id)).all()
    db.add_all([ImprovementCustomer(improvement_id=improvement.id, customer_id=cid,
                                    complaint_id=complaint_id)
                for cid, complaint_id in complaints])
    return redirect("/improvements")


@router.post("/improvements/{improvement_id}/notify")
def notify(improvement_id: RecordId, user: Manager, db: DbSession) -> Response:
    """Mark the customers who raised the reason as told about the fix (改进后向客户通报);
    a manager tells their team's customers."""
    scope.get_improvement(db, user, improvement_id)  # 404 / 403 another team's
    now = utcnow()
    for link in db.scalars(select(ImprovementCustomer).where(
            ImprovementCustomer.improvement_id == improvement_id,
            ImprovementCustomer.notified.is_(False),
            scope.on_visible_customer(user, ImprovementCustomer.customer_id))):
        link.notified = True
        link.notified_at = now
    return redirect("/improvements")
