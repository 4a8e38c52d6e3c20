"""What the Customer 360 buttons do, on the app store (every change is audited by the session).

Where the workflow package offers a service for an action it is used; otherwise the change is
made on the models directly with the same checks.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import (
    CaseStage,
    ChurnRecord,
    Customer,
    Offer,
    RetentionPlan,
    RiskCase,
    User,
    utcnow,
)
from churnguard.workflow.services.tasks import create_task, update_task

CONTACT_KINDS = ("call", "visit", "email")
OPEN_STAGES = ("at_risk", "plan_in_place", "saving")


def log_contact(db: Any, customer: Customer, user: User, *, kind: str, notes: str) -> Any:
    """A contact that happened: a task of ``kind`` done at once, its notes as the outcome."""
    if kind not in CONTACT_KINDS:
        raise InvalidInputError(f"contact type {kind!r} is not one of {', '.join(CONTACT_KINDS)}.")
    task = create_task(db, customer, title=notes.strip()[:300] or kind, kind=kind,
                       due_date=date.today(), owner_id=user.id)
    return update_task(db, task, version=task.version, status="done",
                       outcome=notes.strip()[:300] or None)


def open_case(db: Any, customer: Customer, user: User) -> RiskCase:
    """The customer's open risk case, opened now when there is none."""
    case = db.scalar(select(RiskCase).where(RiskCase.customer_id == customer.id,
                                            RiskCase.stage.in_(OPEN_STAGES))
                     .order_by(RiskCase.opened_at.desc()))
    if case is None:
        now = utcnow()
        case = RiskCase(customer_id=customer.id, owner_id=customer.owner_id or user.id,
                        segment=customer.segment, stage="at_risk", reasons=customer.reasons,
                        value_at_risk=customer.profit_at_risk, opened_at=now)
        db.add(case)
        db.flush()
        db.add(CaseStage(case_id=case.id, stage="at_risk", entered_at=now))
    return case


def move_stage(db: Any, case: RiskCase, stage: str) -> None:
    """Move ``case`` to ``stage``, closing the current stage's time span."""
    if case.stage == stage:
        return
    now = utcnow()
    current = db.scalar(select(CaseStage).where(CaseStage.case_id == case.id,
                                                CaseStage.left_at.is_(None)))
    if current is not None:
        current.left_at = now
    db.add(CaseStage(case_id=case.id, stage=stage, entered_at=now))
    case.stage = stage
    if stage in ("recovered", "lost"):
        case.closed_at = now
    db.flush()


def create_plan(db: Any, customer: Customer, user: User, *, summary: str, offer: str = "",
                cost: float = 0.0) -> RetentionPlan:
    """A retention plan on the customer's risk case (and an offer when described)."""
    if not summary.strip():
        raise InvalidInputError("a retention plan needs a summary of what you will do.")
    if cost < 0:
        raise InvalidInputError(f"an offer cannot cost less than 0 (got {cost}).")
    case = open_case(db, customer, user)
    plan = RetentionPlan(case_id=case.id, customer_id=customer.id, author_id=user.id,
                         summary=summary.strip())
    db.add(plan)
    db.flush()
    if offer.strip():
        db.add(Offer(plan_id=plan.id, description=offer.strip()[:300], cost=float(cost)))
    if case.stage == "at_risk":
        move_stage(db, case, "plan_in_place")
    db.flush()
    return plan


def record_churn(db: Any, customer: Customer, user: User, *, churn_date: date, reason: str,
                 valuable: bool, notes: str) -> ChurnRecord:
    """Put the customer in the churn archive (or update the record) and close open cases."""
    if churn_date > date.today():
        raise InvalidInputError(f"churn date {churn_date} is in the future.")
    record = db.scalar(select(ChurnRecord).where(ChurnRecord.customer_id == customer.id))
    if record is None:
        record = ChurnRecord(customer_id=customer.id, churn_date=churn_date)
        db.add(record)
    record.churn_date = churn_date
    record.reason = reason or None
    record.valuable = bool(valuable)
    record.notes = notes.strip() or None
    record.won_back_on = None
    customer.status = "churned"
    for case in db.scalars(select(RiskCase).where(RiskCase.customer_id == customer.id,
                                                  RiskCase.stage.in_(OPEN_STAGES))):
        move_stage(db, case, "lost")
    db.flush()
    return record


def mark_won_back(db: Any, customer: Customer, user: User, *, on: date) -> ChurnRecord:
    """Record that a churned customer came back on ``on``."""
    record = db.scalar(select(ChurnRecord).where(ChurnRecord.customer_id == customer.id))
    if record is None:
        raise InvalidInputError(f"customer {customer.id} is not in the churn archive; record "
                                f"the churn first.")
    if on < record.churn_date:
        raise InvalidInputError(f"won back on {on} is before the churn date "
                                f"{record.churn_date}.")
    record.won_back_on = on
    customer.status = "active"
    db.flush()
    return record
