"""Tasks: create, update with optimistic locking, complete (任务).

A task the system writes gets its title as a message (a ``churnguard.i18n`` key and its
parameters) so every reader sees it in their language; :func:`task_title` renders it.

Examples
--------
>>> task = Task(title="Call A", title_key="tasktitle.introduction",
...             title_params={"name": "甲公司"})
>>> task_title(task, "zh")
'向甲公司介绍自己（新的客户经理）'
>>> task_title(Task(title="打电话给王总"), "en")
'打电话给王总'
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

from churnguard.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogue, translate
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


def render_title(key: str, params: dict[str, Any] | None, lang: str) -> str | None:
    """The title message ``key`` with ``params`` in ``lang``; None when the catalogue has no
    such key or the parameters do not fit it.

    A parameter named ``<x>_key`` holds a catalogue key itself and is offered to the text as
    ``<x>``, translated (e.g. ``severity_key="severity.high"`` → ``{severity}`` = 高).

    Examples
    --------
    >>> render_title("tasktitle.escalation", {"id": 7, "severity_key": "severity.high"}, "zh")
    '投诉 #7（高）已超时未响应：请立即处理'
    >>> render_title("no.such.key", {}, "en") is None
    True
    """
    text = catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).get(key)
    if text is None:
        return None
    values = dict(params or {})
    for name, value in list(values.items()):
        if name.endswith("_key") and isinstance(value, str):
            values[name[:-len("_key")]] = translate(value, lang)
    try:
        return text.format(**values)
    except (KeyError, ValueError, IndexError, TypeError, AttributeError):
        return None


def task_title(task: Task, lang: str) -> str:
    """The title of ``task`` in ``lang`` (``zh`` or ``en``): its message rendered when it has
    one, else the stored ``title`` (what a person typed)."""
    if task.title_key:
        text = render_title(task.title_key, task.title_params, lang)
        if text is not None:
            return text
    return task.title


def create_task(session: Session, customer: Customer, *, title: str | None = None,
                kind: str = "call", due_date: date | None = None, owner_id: int | None = None,
                signal: str | None = None, source_key: str | None = None,
                risk_case_id: int | None = None, title_key: str | None = None,
                title_params: dict[str, Any] | None = None) -> Task:
    """Create an open task on ``customer`` (owned by the customer's owner unless given).

    Give the title as text (``title``, shown as typed to everyone) or as a message
    (``title_key`` and ``title_params``, shown in each reader's language; the English
    rendering is stored in ``title`` unless ``title`` is given too). With ``source_key``, an
    existing task with that key is returned instead (idempotent).
    """
    if title_key is not None:
        english = render_title(title_key, title_params, "en")
        if english is None:
            raise InvalidInputError(f"task title message {title_key!r} with {title_params!r} "
                                    f"is not in the catalogue (churnguard/i18n/locales).")
        title = title or english
    if not title:
        raise InvalidInputError("a task needs a title (or a title_key).")
    if kind not in TASK_KINDS:
        raise InvalidInputError(f"task kind {kind!r} is not one of {', '.join(TASK_KINDS)}.")
    if source_key is not None:
        existing = session.scalar(select(Task).where(Task.source_key == source_key))
        if existing is not None:
            return existing
    task = Task(customer_id=customer.id, owner_id=owner_id or customer.owner_id, kind=kind,
                title=title[:300], title_key=title_key, title_params=title_params,
                due_date=due_date, signal=signal, source_key=source_key,
                risk_case_id=risk_case_id, status="open")
    session.add(task)
    session.flush()
    return task


def update_task(session: Session, task: Task, *, version: int | None,
                now: datetime | None = None, **changes: Any) -> Task:
    """Apply ``changes`` (fields in ``EDITABLE``) when ``version`` is the task's current one.

    Marking a task ``done`` stamps ``completed_at``; two people saving the same version means
    the second gets :class:`ConflictError` instead of silently overwriting the first. A new
    ``title`` replaces the task's message: from then on everyone sees the text as typed.
    """
    check_version(task.version, version)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInputError(f"cannot change {', '.join(sorted(unknown))} of a task; "
                                f"editable: {', '.join(EDITABLE)}.")
    for key in ("title", "status"):
        if key in changes and changes[key] is None:
            raise InvalidInputError(f"a task's {key} cannot be null; leave {key} out to keep "
                                    f"it as it is.")
    status = changes.get("status")
    if status is not None and status not in TASK_STATUSES:
        raise InvalidInputError(f"task status {status!r} is not one of "
                                f"{', '.join(TASK_STATUSES)}.")
    for key, value in changes.items():
        setattr(task, key, value)
    if changes.get("title") is not None:
        task.title_key = None
        task.title_params = None
    if status == "done" and task.completed_at is None:
        task.completed_at = now or utcnow()
        if task.kind in OUTREACH_KINDS:
            session.add(Contact(customer_id=task.customer_id, channel=task.kind, source="task",
                                source_id=task.id, at=task.completed_at))
    elif status == "open":
        task.completed_at = None
    session.flush()
    return task


def task_public(task: Task, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """The JSON-ready fields of a task, ``title`` in ``lang`` (and the message it came from,
    ``title_key`` and ``title_params``, for readers who render it themselves)."""
    public = {key: getattr(task, key) for key in (
        "id", "customer_id", "owner_id", "kind", "due_date", "status", "outcome",
        "signal", "risk_case_id", "created_at", "completed_at", "version", "title_key",
        "title_params")}
    public["title"] = task_title(task, lang)
    return public
