"""Hand-over when staff leave (客户交接): the relationship belongs to the company.

When a staff member is marked as leaving, every customer they own is flagged (the risk model
reads the flag from the warehouse) and listed for hand-over; a manager reassigns them one by one
or in bulk by rule, the new owner gets an introduction task, and open tasks move along.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from churnguard.workflow.errors import InvalidInputError, PermissionDeniedError
from churnguard.workflow.models import Customer, HandOver, Task, User, utcnow
from churnguard.workflow.services.scope import can_manage
from churnguard.workflow.services.tasks import create_task

RULES = ("round_robin", "least_loaded")


def mark_leaving(session: Session, user: User, *, left_on: date,
                 by: User | None = None) -> list[Customer]:
    """Record that ``user`` leaves on ``left_on`` and flag their customers for hand-over;
    returns those customers."""
    if by is not None and not can_manage(by, user):
        raise PermissionDeniedError(f"{by.username} may not manage {user.username}.")
    user.left_on = left_on
    session.execute(update(Customer).where(Customer.owner_id == user.id)
                    .values(handover_flag=True))
    session.flush()
    return handover_list(session, user)


def handover_list(session: Session, user: User) -> list[Customer]:
    """Customers still owned by ``user`` (most valuable first)."""
    return list(session.scalars(select(Customer).where(Customer.owner_id == user.id).order_by(
        Customer.profit_at_risk.desc().nulls_last(), Customer.id)))


def reassign(session: Session, customer_ids: Sequence[str], to_user: User, *,
             by: User | None = None, reason: str = "hand-over",
             now: datetime | None = None) -> list[HandOver]:
    """Give ``customer_ids`` to ``to_user``: log the hand-over, move open tasks, and give the
    new owner an introduction task per customer (due in 3 days)."""
    if not to_user.active or to_user.left_on is not None:
        raise InvalidInputError(f"{to_user.username} is leaving or inactive; choose another "
                                f"owner.")
    now = now or utcnow()
    done = []
    for customer in session.scalars(select(Customer).where(Customer.id.in_(customer_ids))):
        previous = session.get(User, customer.owner_id) if customer.owner_id else None
        if by is not None and not (can_manage(by, to_user) and (
                previous is None or can_manage(by, previous))):
            raise PermissionDeniedError(f"{by.username} may not move {customer.id} from "
                                        f"{previous.username if previous else 'nobody'} to "
                                        f"{to_user.username}.")
        customer.owner_id = to_user.id
        session.execute(update(Task).where(Task.customer_id == customer.id,
                                           Task.status == "open").values(
            owner_id=to_user.id, version=Task.version + 1))
        intro = create_task(session, customer, kind="introduction", owner_id=to_user.id,
                            title_key="tasktitle.introduction",
                            title_params={"name": customer.name or customer.id},
                            due_date=(now + timedelta(days=3)).date(),
                            source_key=f"handover:{customer.id}:{to_user.id}:{now:%Y%m%d%H%M%S}")
        record = HandOver(customer_id=customer.id, from_user_id=previous.id if previous else None,
                          to_user_id=to_user.id, reason=reason, by_id=by.id if by else None,
                          at=now, intro_task_id=intro.id)
        session.add(record)
        done.append(record)
    session.flush()
    return done


def bulk_reassign(session: Session, from_user: User, to_users: Sequence[User], *,
                  rule: str = "least_loaded", by: User | None = None,
                  now: datetime | None = None) -> list[HandOver]:
    """Hand all of ``from_user``'s customers to ``to_users`` by ``rule``: ``round_robin``
    (most valuable first, dealt in turn) or ``least_loaded`` (each to whoever owns fewest)."""
    if rule not in RULES:
        raise InvalidInputError(f"rule {rule!r} is not one of {', '.join(RULES)}.")
    if not to_users:
        raise InvalidInputError("give at least one new owner.")
    customers = handover_list(session, from_user)
    load = {u.id: session.scalar(select(func.count()).select_from(Customer).where(
        Customer.owner_id == u.id)) or 0 for u in to_users}
    plan: dict[int, list[str]] = {u.id: [] for u in to_users}
    for index, customer in enumerate(customers):
        if rule == "round_robin":
            target = to_users[index % len(to_users)].id
        else:
            target = min(load, key=lambda uid: (load[uid], uid))
        plan[target].append(customer.id)
        load[target] += 1
    records = []
    for user in to_users:
        if plan[user.id]:
            records += reassign(session, plan[user.id], user, by=by, now=now,
                                reason=f"hand-over from {from_user.username} ({rule})")
    return records
