"""The two lists a rep works from: the save list and the win-back list (挽留名单、召回名单).

The save list holds customers still buying (``lifecycle = 'active'``), most profit at risk
first (departure risk × value if retained), ties by value if retained, then id; the win-back
list holds the lapsing ones (silent for most of the churn window) by value if retained, then
id. Neither is ever ordered by id or churn probability alone. Churned customers are on neither.
Indexes of migration 0004 serve both orders page by page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, nulls_last, select
from sqlalchemy.orm import Session

from churnguard.workflow.models import Customer, User
from churnguard.workflow.services import scope

LISTS = ("save", "lapsing")


def list_order(which: str = "save") -> list[Any]:
    """ORDER BY of the ``save`` or ``lapsing`` list.

    Examples
    --------
    >>> [str(c) for c in list_order("save")][:2]
    ['customers.profit_at_risk DESC NULLS LAST', 'customers.value_if_retained DESC NULLS LAST']
    """
    value = nulls_last(Customer.value_if_retained.desc())
    if which == "lapsing":
        return [value, Customer.id]
    return [nulls_last(Customer.profit_at_risk.desc()), value, Customer.id]


def list_query(user: User, which: str = "save") -> Select[tuple[Customer]]:
    """The customers ``user`` may see on a list (``save`` or ``lapsing``), in its order."""
    lifecycle = "lapsing" if which == "lapsing" else "active"
    return (scope.visible_customers(user)
            .where(Customer.lifecycle == lifecycle, Customer.status != "churned")
            .order_by(*list_order(which)))


def sizes_query(user: User) -> Select[tuple[int, int]]:
    """How many customers ``user`` may see on the save and the win-back list, as one row.

    One pass over the covering index ``(owner_id, lifecycle, status)`` and no GROUP BY:
    grouping by lifecycle made SQLite walk a list index in lifecycle order and read every
    row for its status.
    """
    return (select(func.sum(case((Customer.lifecycle == "active", 1), else_=0)),
                   func.sum(case((Customer.lifecycle == "lapsing", 1), else_=0)))
            .where(scope.customer_clause(user), Customer.status != "churned"))


def list_sizes(session: Session, user: User) -> dict[str, int]:
    """How many customers ``user`` may see on each list (``save``, ``lapsing``)."""
    save, lapsing = session.execute(sizes_query(user)).one()
    return {"save": int(save or 0), "lapsing": int(lapsing or 0)}
