"""``/api/tasks``: the caller's (or their team's) tasks; create, read, update with a version."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from annotated_types import MaxLen, MinLen
from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select

from churnguard.constraints import Code, Day, ShortText
from churnguard.web.api.common import Page, Paging, paginate, paging
from churnguard.web.deps import CurrentUser, DbSession, Language, VisibleTask
from churnguard.workflow.models import Task
from churnguard.workflow.services import scope
from churnguard.workflow.services import tasks as service

router = APIRouter(prefix="/tasks", tags=["tasks"])


class TaskPublic(BaseModel):
    """A task. ``title`` is in the caller's language (``?lang=zh|en``, the ``lang`` cookie or
    ``Accept-Language``; English by default). Titles the system wrote also come as the message
    they were made from (``title_key``, ``title_params``: render them with the catalogues of
    ``churnguard.i18n``); a title a person typed has no key and reads the same in every
    language."""

    id: int
    customer_id: str
    owner_id: int | None
    kind: str
    title: str
    title_key: str | None = None
    title_params: dict[str, Any] | None = None
    due_date: date | None
    status: str
    outcome: str | None
    signal: str | None
    risk_case_id: int | None
    created_at: datetime
    completed_at: datetime | None
    version: int


class TaskCreate(BaseModel):
    customer_id: str
    title: Annotated[str, MinLen(1), MaxLen(300)]
    kind: Code = "call"
    due_date: Day | None = None


class TaskUpdate(BaseModel):
    """Send the ``version`` you read; 409 when someone saved in between."""

    version: int
    title: Annotated[str, MinLen(1), MaxLen(300)] = None  # type: ignore[assignment]
    due_date: Day | None = None
    status: ShortText = None  # type: ignore[assignment]  # may be left out, never null
    outcome: Annotated[str, MaxLen(300)] | None = None


def _public(task: Task, lang: str) -> TaskPublic:
    return TaskPublic(**service.task_public(task, lang))


@router.get("")
def list_tasks(user: CurrentUser, db: DbSession, paging: Annotated[Paging, Depends(paging)],
               status: str | None = "open", customer_id: str | None = None,
               mine: bool = False, *, lang: Language) -> Page[TaskPublic]:
    """Tasks the caller may see (``status=open`` by default; ``status=all`` for every one),
    earliest due first; ``mine=true`` only the caller's own."""

    query = select(Task).where(scope.task_clause(user))
    if status and status != "all":
        query = query.where(Task.status == status)
    if customer_id:
        query = query.where(Task.customer_id == customer_id)
    if mine:
        query = query.where(Task.owner_id == user.id)
    query = query.order_by(Task.due_date.asc().nulls_last(), Task.id)
    rows, total = paginate(db, query, paging)
    return Page[TaskPublic](items=[_public(t, lang) for t in rows], total=total, page=paging.page,
                            page_size=paging.page_size)


@router.post("", status_code=201)
def create_task(body: TaskCreate, user: CurrentUser, db: DbSession, lang: Language
                ) -> TaskPublic:
    """Create a task on a customer the caller may see (owned by the customer's owner)."""
    customer = scope.get_customer(db, user, body.customer_id)
    task = service.create_task(db, customer, title=body.title, kind=body.kind,
                               due_date=body.due_date)
    return _public(task, lang)


@router.get("/{task_id}")
def get_task(task: VisibleTask, lang: Language) -> TaskPublic:
    """One task."""
    return _public(task, lang)


@router.patch("/{task_id}")
def update_task(task: VisibleTask, body: TaskUpdate, db: DbSession, lang: Language
                ) -> TaskPublic:
    """Change a task; 409 ``conflict`` when ``version`` is stale."""
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    return _public(service.update_task(db, task, version=body.version, **changes), lang)
