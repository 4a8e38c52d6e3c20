"""The audit trail of one customer: changes to the customer and to every record on it.

Read through the ``audit_log (entity_id)`` index, one lookup per record of the customer, never
by looking inside the JSON of every entry (a single malformed entry anywhere would then break
every customer's page). Each entry's JSON is parsed on its own: one that cannot be read shows
as ``"(unreadable)"`` instead of failing the page.

Examples
--------
>>> from churnguard.workflow.db import make_engine, make_sessionmaker, migrate
>>> from churnguard.workflow.models import Customer
>>> engine = make_engine("sqlite://"); migrate(engine); db = make_sessionmaker(engine)()
>>> db.add(Customer(id="c1", name="Ann")); db.flush()
>>> [(e.action, e.entity, e.entity_id) for e in customer_trail(db, "c1")]
[('insert', 'customers', 'c1')]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from churnguard.workflow.models import AuditEntry, Base

UNREADABLE = "(unreadable)"


@dataclass(frozen=True)
class TrailEntry:
    """One audit entry as a page shows it; ``before``/``after`` are the parsed change or
    ``"(unreadable)"``."""

    id: int
    at: datetime
    actor_id: int | None
    action: str
    entity: str
    entity_id: str
    before: Any
    after: Any


def _customer_tables() -> list[Any]:
    """The app-store tables whose rows belong to one customer (they have ``customer_id``)."""
    return [table for table in Base.metadata.sorted_tables
            if "customer_id" in table.c and "id" in table.c and table.name != "audit_log"]


def trail_clause(customer_id: str) -> ColumnElement[bool]:
    """Audit entries of customer ``customer_id`` and of the records that name it: each term
    is an ``entity_id`` lookup (the index) for one table."""
    # lower(entity) keeps planners off the ``entity`` index (every task's entries, say)
    entity = func.lower(AuditEntry.entity, type_=String)
    terms = [and_(AuditEntry.entity_id == customer_id, entity == "customers")]
    for table in _customer_tables():
        keys = select(cast(table.c.id, String)).where(table.c.customer_id == customer_id)
        terms.append(and_(AuditEntry.entity_id.in_(keys), entity == table.name))
    return or_(*terms)


def parse_change(text: Any) -> Any:
    """One entry's ``before``/``after`` from its stored text: ``inf``/``NaN`` (which SQLite
    may hold from before they were refused) stay text, unreadable JSON becomes
    ``"(unreadable)"``; never an error.

    Examples
    --------
    >>> parse_change('{"compensation": Infinity}'), parse_change('{"title": "cut')
    ({'compensation': 'Infinity'}, '(unreadable)')
    """
    if text is None or isinstance(text, dict | list):  # a driver that parses JSON itself
        return text
    try:
        return json.loads(text, parse_constant=str)
    except (ValueError, TypeError, RecursionError):
        return UNREADABLE


def read_entries(session: Session, where: ColumnElement[bool] | None = None, *,
                 limit: int = 40, offset: int = 0) -> list[TrailEntry]:
    """Audit entries matching ``where``, newest first, each parsed on its own."""
    query = select(AuditEntry.id, AuditEntry.at, AuditEntry.actor_id, AuditEntry.action,
                   AuditEntry.entity, AuditEntry.entity_id,
                   cast(AuditEntry.before, Text), cast(AuditEntry.after, Text))
    if where is not None:
        query = query.where(where)
    rows = session.execute(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset))
    return [TrailEntry(id=row[0], at=row[1], actor_id=row[2], action=row[3], entity=row[4],
                       entity_id=row[5], before=parse_change(row[6]),
                       after=parse_change(row[7])) for row in rows]


def customer_trail(session: Session, customer_id: str, *, limit: int = 40) -> list[TrailEntry]:
    """The latest ``limit`` audit entries of the customer and its records, newest first."""
    return read_entries(session, trail_clause(customer_id), limit=limit)
