"""Complaints: response deadline by severity, escalation when overdue, resolution with
compensation, and a follow-up survey (投诉处理: 及时响应、道歉、补偿、回访).

Examples
--------
>>> from datetime import datetime
>>> from churnguard.workflow.settings import WorkflowPolicy
>>> response_deadline(datetime(2024, 5, 1, 9), "high", WorkflowPolicy())
datetime.datetime(2024, 5, 2, 9, 0)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.constraints import MAX_MONEY, check_number
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import Complaint, Customer, Survey, Task, User, utcnow
from churnguard.workflow.models.complaints import SEVERITIES
from churnguard.workflow.services.tasks import check_version, create_task
from churnguard.workflow.settings import WorkflowPolicy

EDITABLE = ("severity", "reason", "description", "owner_id")


def response_deadline(received_at: datetime, severity: str, policy: WorkflowPolicy) -> datetime:
    """When the first response is due for a complaint of ``severity`` received then."""
    if severity not in SEVERITIES:
        raise InvalidInputError(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}.")
    return received_at + timedelta(hours=policy.response_hours[severity])


def log_complaint(session: Session, customer: Customer, *, severity: str = "medium",
                  reason: str | None = None, description: str = "",
                  received_at: datetime | None = None, policy: WorkflowPolicy = WorkflowPolicy(),
                  source_key: str | None = None) -> Complaint:
    """Record a complaint; its owner is the customer's owner and its deadline follows from the
    severity. Without a ``reason`` the reason is read from the description by the reasons
    classifier (none when it understands nothing)."""
    if reason is None and description.strip():
        reason = read_reasons([description])[0]
    received_at = received_at or utcnow()
    complaint = Complaint(customer_id=customer.id, owner_id=customer.owner_id,
                          severity=severity, reason=reason, description=description,
                          received_at=received_at, status="open", source_key=source_key,
                          response_due_at=response_deadline(received_at, severity, policy))
    session.add(complaint)
    session.flush()
    return complaint


def read_reasons(texts: list[str]) -> list[str | None]:
    """The reason code of each complaint text, as the reason Pareto reads them
    (:func:`churnguard.reasons.pareto.fill_reasons`): None where nothing is understood."""
    import pandas as pd

    from churnguard.reasons.pareto import fill_reasons

    read = fill_reasons(pd.Series([None] * len(texts), dtype=object), pd.Series(texts))
    return [None if value is None else str(value) for value in read.tolist()]


def update_complaint(session: Session, complaint: Complaint, *, version: int | None,
                     policy: WorkflowPolicy = WorkflowPolicy(), **changes: Any) -> Complaint:
    """Change editable fields when ``version`` is current; a new severity moves the deadline."""
    check_version(complaint.version, version)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInputError(f"cannot change {', '.join(sorted(unknown))} of a complaint; "
                                f"editable: {', '.join(EDITABLE)}.")
    for key, value in changes.items():
        setattr(complaint, key, value)
    if "severity" in changes:
        complaint.response_due_at = response_deadline(complaint.received_at,
                                                      complaint.severity, policy)
    session.flush()
    return complaint


def respond(session: Session, complaint: Complaint, *, version: int | None,
            now: datetime | None = None) -> Complaint:
    """Record the first response (apology, call back) to the customer."""
    check_version(complaint.version, version)
    if complaint.status != "open":
        raise InvalidInputError(f"complaint {complaint.id} is {complaint.status}, not open.")
    complaint.status = "responded"
    complaint.responded_at = now or utcnow()
    session.flush()
    return complaint


def resolve(session: Session, complaint: Complaint, *, version: int | None, resolution: str,
            compensation: float = 0.0, compensation_note: str | None = None,
            now: datetime | None = None, follow_up: bool = True) -> Complaint:
    """Resolve with what was done and any compensation; sends a follow-up satisfaction survey
    and gives the owner a follow-up call task."""
    check_version(complaint.version, version)
    if complaint.status in ("resolved", "closed"):
        raise InvalidInputError(f"complaint {complaint.id} is already {complaint.status}.")
    compensation = check_number(compensation, name="compensation", low=0, high=MAX_MONEY)
    now = now or utcnow()
    complaint.status = "resolved"
    complaint.resolution = resolution
    complaint.resolved_at = now
    complaint.responded_at = complaint.responded_at or now
    complaint.compensation = float(compensation)
    complaint.compensation_note = compensation_note
    session.flush()
    if follow_up:
        session.add(Survey(customer_id=complaint.customer_id, kind="complaint_follow_up",
                           complaint_id=complaint.id, sent_at=now))
        customer = session.get(Customer, complaint.customer_id)
        if customer is not None:
            create_task(session, customer, kind="complaint_follow_up",
                        title_key="tasktitle.complaint_follow_up",
                        title_params={"id": complaint.id},
                        due_date=(now + timedelta(days=7)).date(),
                        owner_id=complaint.owner_id,
                        source_key=f"complaint-follow-up:{complaint.id}")
    session.flush()
    return complaint


def escalate_overdue(session: Session, *, now: datetime | None = None) -> list[Complaint]:
    """Escalate every unanswered complaint past its deadline to the owner's manager (or an
    admin when the owner has none): the manager gets an urgent task. Returns those escalated."""
    now = now or utcnow()
    overdue = session.scalars(select(Complaint).where(
        Complaint.status == "open", Complaint.responded_at.is_(None),
        Complaint.response_due_at < now, Complaint.escalated_at.is_(None))).all()
    fallback = session.scalar(select(User.id).where(User.role == "admin", User.active)
                              .order_by(User.id))
    for complaint in overdue:
        owner = session.get(User, complaint.owner_id) if complaint.owner_id else None
        target = owner.manager_id if owner and owner.manager_id else fallback
        complaint.escalated_at = now
        complaint.escalated_to_id = target
        customer = session.get(Customer, complaint.customer_id)
        if customer is not None:
            create_task(session, customer, kind="complaint_follow_up", owner_id=target,
                        title_key="tasktitle.escalation",
                        title_params={"id": complaint.id,
                                      "severity_key": f"severity.{complaint.severity}"},
                        due_date=now.date(),
                        source_key=f"complaint-escalation:{complaint.id}")
    session.flush()
    return list(overdue)


def open_escalations(session: Session, manager: User) -> list[Complaint]:
    """Escalated, still unanswered complaints waiting for ``manager``."""
    return list(session.scalars(select(Complaint).where(
        Complaint.escalated_to_id == manager.id, Complaint.responded_at.is_(None))))


def complaint_public(complaint: Complaint) -> dict[str, Any]:
    """The JSON-ready fields of a complaint."""
    return {key: getattr(complaint, key) for key in (
        "id", "customer_id", "owner_id", "severity", "reason", "description", "status",
        "received_at", "response_due_at", "responded_at", "escalated_at", "escalated_to_id",
        "resolution", "resolved_at", "compensation", "compensation_note", "version")}


def follow_up_tasks(session: Session, complaint: Complaint) -> list[Task]:
    """Tasks created for this complaint (escalation and follow-up)."""
    keys = [f"complaint-follow-up:{complaint.id}", f"complaint-escalation:{complaint.id}"]
    return list(session.scalars(select(Task).where(Task.source_key.in_(keys))))
