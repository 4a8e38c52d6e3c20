"""Tasks: create, update with optimistic locking, complete (任务).

Examples
--------
>>> check_version(3, 3)
>>> check_version(3, 2)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
churnguard.workflow.errors.ConflictError: this record was changed by someone else ...
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.workflow.errors import ConflictError, InvalidInputError
from churnguard.workflow.models import Contact, Customer, Task, utcnow
from churnguard.workflow.models.tasks import TASK_KINDS, TASK_STATUSES

OUTREACH_KINDS = ("call", "visit", "email", "care", "win_back", "introduction")
EDITABLE = ("title", "due_date", "status", "outcome", "owner_id", "kind")


def check_version(current: int, sent: int | None) -> None:
    """Raise :class:`ConflictError` when the caller's ``sent`` version is not ``current``."""
    if sent is not None and sent != current:
        raise ConflictError(f"this record was changed by someone else (your version {sent}, "
                            f"now {current}). Reload it and apply your change again.")


def create_task(session: Session, customer: Customer, *, title: str, kind: str = "call",
                due_date: date | None = None, owner_id: int | None = None,
                signal: str | None = None, source_key: str | None = None,
                risk_case_id: int | None = None) -> Task:
    """Create an open task on ``customer`` (owned by the customer's owner unless given).

    With ``source_key``, an existing task with that key is returned instead (idempotent).
    """
    if kind not in TASK_KINDS:
        raise InvalidInputError(f"task kind {kind!r} is not one of {', '.join(TASK_KINDS)}.")
    if source_key is not None:
        existing = session.scalar(select(Task).where(Task.source_key == source_key))
        if existing is not None:
            return existing
    task = Task(customer_id=customer.id, owner_id=owner_id or customer.owner_id, kind=kind,
                title=title, due_date=due_date, signal=signal, source_key=source_key,
                risk_case_id=risk_case_id, status="open")
    session.add(task)
    session.flush()
    return task


def update_task(session: Session, task: Task, *, version: int | None,
                now: datetime | None = None, **changes: Any) -> Task:
    """Apply ``changes`` (fields in ``EDITABLE``) when ``version`` is the task's current one.

    Marking a task ``done`` stamps ``completed_at``; two people saving the same version means
    the second gets :class:`ConflictError` instead of silently overwriting the first.
    """
    check_version(task.version, version)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInputError(f"cannot change {', '.join(sorted(unknown))} of a task; "
                                f"editable: {', '.join(EDITABLE)}.")
    status = changes.get("status")
    if status is not None and status not in TASK_STATUSES:
        raise InvalidInputError(f"task status {status!r} is not one of "
                                f"{', '.join(TASK_STATUSES)}.")
    for key, value in changes.items():
        setattr(task, key, value)
    if status == "done" and task.completed_at is None:
        task.completed_at = now or utcnow()
        if task.kind in OUTREACH_KINDS:
            session.add(Contact(customer_id=task.customer_id, channel=task.kind, source="task",
                                source_id=task.id, at=task.completed_at))
    elif status == "open":
        task.completed_at = None
    session.flush()
    return task


def task_public(task: Task) -> dict[str, Any]:
    """The JSON-ready fields of a task."""
    return {key: getattr(task, key) for key in (
        "id", "customer_id", "owner_id", "kind", "title", "due_date", "status", "outcome",
        "signal", "risk_case_id", "created_at", "completed_at", "version")}
