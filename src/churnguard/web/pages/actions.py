"""What the Customer 360 buttons do: thin wrappers over the workflow services (every change
is audited by the session)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import ChurnRecord, Customer, RetentionPlan, RiskCase, User
from churnguard.workflow.services import archive, cases
from churnguard.workflow.services.tasks import create_task, update_task

CONTACT_KINDS = ("call", "visit", "email")


def log_contact(db: Any, customer: Customer, user: User, *, kind: str, notes: str) -> Any:
    """A contact that happened: a task of ``kind`` done at once, its notes as the outcome."""
    if kind not in CONTACT_KINDS:
        raise InvalidInputError(f"contact type {kind!r} is not one of {', '.join(CONTACT_KINDS)}.")
    if not notes.strip():
        raise InvalidInputError("write what was said in the contact notes.")
    task = create_task(db, customer, title=notes.strip()[:300], kind=kind,
                       due_date=date.today(), owner_id=user.id)
    return update_task(db, task, version=task.version, status="done",
                       outcome=notes.strip()[:300])


def create_plan(db: Any, customer: Customer, user: User, *, summary: str, offer: str = "",
                cost: float = 0.0) -> RetentionPlan:
    """A retention plan on the customer's risk case (opened when needed), with an offer."""
    if not summary.strip():
        raise InvalidInputError("a retention plan needs a summary of what you will do.")
    if cost < 0:
        raise InvalidInputError(f"an offer cannot cost less than 0 (got {cost}).")
    case = cases.open_case(db, customer)
    offers = [(offer.strip()[:300], float(cost))] if offer.strip() else []
    return cases.add_plan(db, case, summary.strip(), author=user, offers=offers)


def record_churn(db: Any, customer: Customer, user: User, *, churn_date: date, reason: str,
                 valuable: bool, notes: str) -> ChurnRecord:
    """Put the customer in the churn archive and close their open risk cases as lost.

    A customer who was won back and leaves again gets their archive record updated.
    """
    if churn_date > date.today():
        raise InvalidInputError(f"churn date {churn_date} is in the future.")
    record = db.scalar(select(ChurnRecord).where(ChurnRecord.customer_id == customer.id))
    if record is None:
        record = archive.archive_customer(db, customer, churn_date=churn_date,
                                          reason=reason or None, valuable=valuable,
                                          notes=notes.strip() or None)
    elif record.won_back_on is not None:
        record.churn_date, record.reason, record.valuable = churn_date, reason or None, valuable
        record.notes, record.won_back_on = notes.strip() or None, None
        customer.status = "churned"
    else:
        raise InvalidInputError(f"customer {customer.id} is already in the churn archive "
                                f"(churned {record.churn_date}).")
    for case in db.scalars(select(RiskCase).where(RiskCase.customer_id == customer.id,
                                                  RiskCase.stage.not_in(cases.CLOSED))):
        cases.move_case(db, case, "lost")
    db.flush()
    return record


def mark_won_back(db: Any, customer: Customer, user: User, *, on: date) -> ChurnRecord:
    """Record that a churned customer came back on ``on``."""
    record = db.scalar(select(ChurnRecord).where(ChurnRecord.customer_id == customer.id))
    if record is None:
        raise InvalidInputError(f"customer {customer.id} is not in the churn archive; record "
                                f"the churn first.")
    return archive.mark_won_back(db, record, on=on)
