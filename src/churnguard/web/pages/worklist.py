"""My customers: each rep's morning worklist (managers see their team's)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, nulls_last, select

from churnguard.report.goals import load_goals
from churnguard.report.review import monthly_review
from churnguard.web.deps import DbSession, PageTask, PageUser
from churnguard.web.pages.common import language, redirect, render, safe_next, warehouse
from churnguard.web.pages.data import default_month, fired_rules, risk_reasons
from churnguard.workflow.models import CareEvent, Complaint, Customer, Task, User
from churnguard.workflow.services import scope

router = APIRouter()
PAGE_SIZE = 25


def reason_texts(reasons: Any, lang: str) -> list[str]:
    """Readable reasons from a stored list (strings, or dicts with text per language).

    Examples
    --------
    >>> reason_texts([{"text_en": "orders fell", "text_zh": "订单下降"}, "late payment"], "zh")
    ['订单下降', 'late payment']
    """
    out = []
    for item in reasons or []:
        if isinstance(item, dict):
            text = (item.get(f"text_{lang}") or item.get(f"sentence_{lang}") or item.get(lang)
                    or item.get("text") or item.get("sentence") or item.get("label")
                    or item.get("reason") or item.get("code"))
            out.append(str(text))
        else:
            out.append(str(item))
    return out


def worklist_rows(db: Any, user: User, *, page: int = 1, size: int = PAGE_SIZE
                  ) -> tuple[list[Customer], int]:
    """The customers ``user`` may see, highest profit at risk first, and how many in all."""
    query = scope.visible_customers(user).where(Customer.status != "churned")
    total = db.scalar(select(func.count()).select_from(Customer).where(
        scope.customer_clause(user), Customer.status != "churned")) or 0
    rows = db.scalars(query.order_by(nulls_last(Customer.profit_at_risk.desc()),
                                     nulls_last(Customer.p_churn.desc()), Customer.id)
                      .offset((page - 1) * size).limit(size)).all()
    return list(rows), int(total)


def todays_tasks(db: Any, user: User, today: date) -> list[Task]:
    """Open tasks of ``user`` due today or earlier (or without a date)."""
    query = (select(Task).where(Task.owner_id == user.id, Task.status == "open",
                                (Task.due_date <= today) | Task.due_date.is_(None))
             .order_by(nulls_last(Task.due_date.asc()), Task.id).limit(100))
    return list(db.scalars(query).all())


def care_this_week(db: Any, user: User, today: date) -> list[CareEvent]:
    """Care events (birthdays, holidays, anniversaries) on visible customers this week."""
    query = (select(CareEvent).join(Customer, Customer.id == CareEvent.customer_id)
             .where(scope.customer_clause(user), CareEvent.event_date >= today,
                    CareEvent.event_date < today + timedelta(days=7))
             .order_by(CareEvent.event_date).limit(100))
    return list(db.scalars(query).all())


def overdue_complaints(db: Any, user: User, now: datetime) -> list[Complaint]:
    """Visible complaints past their response deadline and not resolved."""
    query = (select(Complaint).where(scope.complaint_clause(user),
                                     Complaint.status.in_(("open", "responded")),
                                     Complaint.responded_at.is_(None),
                                     Complaint.response_due_at < now)
             .order_by(Complaint.response_due_at).limit(100))
    return list(db.scalars(query).all())


@router.get("/my-customers")
def my_customers(request: Request, user: PageUser, db: DbSession, page: int = 1) -> Response:
    """The worklist, today's tasks, this week's care events and overdue complaints."""
    page = max(page, 1)
    today = date.today()
    lang = language(request)
    store = worklist_store(request, db, user, page=page, today=today)
    rows = store["rows"]
    with warehouse(request) as ws:
        rules = fired_rules(ws, [c.id for c in rows], lang)
        model_reasons = risk_reasons(ws, [c.id for c in rows], lang)
        goals = service_goals(ws)
    return render(request, "worklist.html", user, page=page,
                  pages=max(1, -(-store["total"] // PAGE_SIZE)), rules=rules, goals=goals,
                  reasons={c.id: model_reasons.get(c.id) or reason_texts(c.reasons, lang)
                           for c in rows}, today=today, **store)


def worklist_store(request: Request, db: Any, user: User, *, page: int,
                   today: date) -> dict[str, Any]:
    """The app-store part of the worklist: one page of customers, the total, tasks, care
    events and overdue complaints. Kept in memory until the app database changes (SQLite:
    any commit touches the database or its write-ahead log), so reloads cost no queries."""

    def compute() -> dict[str, Any]:
        rows, total = worklist_rows(db, user, page=page)
        return {"rows": rows, "total": total, "tasks": todays_tasks(db, user, today),
                "care": care_this_week(db, user, today),
                "complaints": overdue_complaints(db, user, datetime.now())}

    version = store_version(request)
    if version is None:
        return compute()
    key = (user.id, user.role, page, today)
    cache: dict[Any, Any] = request.app.state.__dict__.setdefault("_worklist_cache", {})
    hit = cache.get(key)
    if hit is not None and hit[0] == version:
        return hit[1]
    value = compute()
    db.expunge_all()  # detached, fully loaded rows can be shown by later requests
    if len(cache) > 512:
        cache.clear()
    cache[key] = (version, value)
    return value


def store_version(request: Request) -> tuple[int, ...] | None:
    """A value that changes with every commit to a SQLite app database (file and WAL
    modification times and sizes); None for other databases (no caching)."""
    url = str(request.app.state.engine.url)
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return None
    path = Path(url[len("sqlite:///"):])
    stamps: list[int] = []
    for file in (path, path.with_name(path.name + "-wal")):
        try:
            info = file.stat()
        except FileNotFoundError:
            stamps.extend((0, 0))
            continue
        stamps.extend((info.st_mtime_ns, info.st_size))
    return tuple(stamps)


def service_goals(ws: Any) -> list[Any]:
    """The manager's service goals with this month's progress, so every rep sees them
    (empty when no goal is set; the figures come from the cached monthly review)."""
    if ws is None or not load_goals(ws):
        return []
    return monthly_review(ws, default_month(ws)).goals


@router.post("/tasks/{task_id}/done")
def task_done(request: Request, task: PageTask, db: DbSession,
              outcome: Annotated[str, Form()] = "",
              version: Annotated[int | None, Form()] = None,
              next: Annotated[str, Form()] = "") -> Response:
    """Mark a task done (with an optional outcome); htmx removes it from the list in place,
    a plain form post goes back to the page."""
    from churnguard.workflow.services.tasks import update_task

    update_task(db, task, version=version, status="done", outcome=outcome or task.outcome)
    if request.headers.get("hx-request") == "true":
        return HTMLResponse("")
    return redirect(safe_next(next, "/my-customers"))
