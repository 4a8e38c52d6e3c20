"""Loyalty points ledger (积分) and contact pressure (a cap on outreach per customer).

Examples
--------
>>> from datetime import datetime
>>> from churnguard.workflow.settings import WorkflowPolicy
>>> window_start(datetime(2024, 5, 15), WorkflowPolicy(contact_cap_days=14))
datetime.datetime(2024, 5, 1, 0, 0)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Float, cast, func, select
from sqlalchemy.orm import Session

from churnguard.constraints import MAX_POINTS, check_number
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import Contact, Customer, PointsEntry, User, utcnow
from churnguard.workflow.settings import WorkflowPolicy


def add_points(session: Session, customer: Customer, delta: int, reason: str, *,
               by: User | None = None, now: datetime | None = None) -> int:
    """Add (or, negative, redeem) points; returns the new balance. The balance never goes
    below zero."""
    delta = int(check_number(delta, name="points change", low=-MAX_POINTS, high=MAX_POINTS))
    balance = points_balance(session, customer.id)
    if balance + delta < 0:
        raise InvalidInputError(f"customer {customer.id} has {balance} points; cannot redeem "
                                f"{-delta}.")
    session.add(PointsEntry(customer_id=customer.id, delta=int(delta), reason=reason,
                            by_id=by.id if by else None, at=now or utcnow()))
    session.flush()
    return balance + delta


def points_balance(session: Session, customer_id: str) -> int:
    """The sum of a customer's ledger (summed as floating point, so entries stored before
    changes were limited cannot overflow the engine's 64-bit integer sum)."""
    return int(session.scalar(select(func.coalesce(func.sum(cast(PointsEntry.delta, Float)),
                                                   0)).where(
        PointsEntry.customer_id == customer_id)) or 0)


def window_start(at: datetime, policy: WorkflowPolicy) -> datetime:
    """Start of the contact-pressure window that ends at ``at``."""
    return at - timedelta(days=policy.contact_cap_days)


def over_cap(session: Session, customer_ids: Iterable[str], *, at: datetime,
             policy: WorkflowPolicy) -> set[str]:
    """The customers among ``customer_ids`` already at the outreach cap in the window."""
    ids = list(customer_ids)
    if not ids:
        return set()
    rows = session.execute(select(Contact.customer_id, func.count()).where(
        Contact.at > window_start(at, policy), Contact.at <= at,
        Contact.customer_id.in_(ids)).group_by(Contact.customer_id))
    return {cid for cid, n in rows if n >= policy.contact_cap_touches}


def record_contact(session: Session, customer_id: str, *, channel: str, source: str,
                   source_id: int, at: datetime | None = None) -> Contact:
    """Log one outreach touch (campaign, care or task)."""
    contact = Contact(customer_id=customer_id, channel=channel, source=source,
                      source_id=source_id, at=at or utcnow())
    session.add(contact)
    session.flush()
    return contact
