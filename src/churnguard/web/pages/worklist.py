"""My customers: each rep's morning worklist (managers see their team's)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import nulls_last, select

from churnguard.constraints import PageNumber
from churnguard.report.goals import load_goals
from churnguard.report.review import monthly_review
from churnguard.web.deps import DbSession, PageTask, PageUser
from churnguard.web.pages.common import language, redirect, render, safe_next, warehouse
from churnguard.web.pages.data import (
    customer_phones,
    default_month,
    fired_rules,
    risk_reasons,
    risk_subjects,
    tel_href,
)
from churnguard.workflow.models import CareEvent, Complaint, Customer, Task, User
from churnguard.workflow.services import complaints, scope
from churnguard.workflow.services.worklist import LISTS, list_query, list_sizes

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
            out.append(StoredText(item))
    return out


class StoredText(str):
    """A reason stored as plain text (in whatever language it was written): shown as data."""


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
def my_customers(request: Request, user: PageUser, db: DbSession, page: PageNumber = 1,
                 list: str = "save") -> Response:  # noqa: A002 - the query parameter's name
    """The worklist (the save list, or the win-back list of lapsing customers), today's
    tasks, this week's care events and overdue complaints."""
    page = max(page, 1)
    which = list if list in LISTS else "save"
    today = date.today()
    lang = language(request)
    store = worklist_store(request, db, user, page=page, today=today, which=which)
    rows = store["rows"]
    with warehouse(request) as ws:
        rules = fired_rules(ws, [c.id for c in rows], lang)
        model_reasons = risk_reasons(ws, [c.id for c in rows], lang)
        subjects = risk_subjects(ws, [c.id for c in rows])
        goals = service_goals(ws)
        phones = customer_phones(ws, [c.id for c in rows])
    return render(request, "worklist.html", user, page=page, which=which,
                  pages=max(1, -(-store["total"] // PAGE_SIZE)), goals=goals,
                  phones=phones, tel_href=tel_href,
                  reasons={c.id: why_at_risk(model_reasons.get(c.id) or
                                             reason_texts(c.reasons, lang),
                                             rules.get(c.id, []), subjects=subjects.get(c.id))
                           for c in rows},
                  today=today, task_complaints=task_complaints(db, store.get("tasks", [])),
                  **store)


def complaint_of(task: Task) -> int | None:
    """The complaint a task was made for (escalation or follow-up), from its source key.

    Examples
    --------
    >>> complaint_of(Task(source_key="complaint-escalation:5")), complaint_of(Task())
    (5, None)
    """
    key = task.source_key or ""
    if key.startswith(("complaint-escalation:", "complaint-follow-up:")):
        number = key.rsplit(":", 1)[1]
        return int(number) if number.isdigit() else None
    return None


def task_complaints(db: Any, tasks: list[Task]) -> dict[int, Complaint]:
    """``task id → complaint`` for the tasks made for a complaint."""
    wanted = {task.id: number for task in tasks if (number := complaint_of(task)) is not None}
    if not wanted:
        return {}
    found = {c.id: c for c in db.scalars(select(Complaint).where(
        Complaint.id.in_(set(wanted.values()))))}
    return {task_id: found[number] for task_id, number in wanted.items() if number in found}


def why_at_risk(reasons: list[str], rules: list[str], *,
                subjects: tuple[list[str], list[str]] | None = None) -> list[dict[str, str]]:
    """One list of why a customer is at risk: the model's reasons, then the warning rules
    that fired and say something the reasons do not. A rule on the same subject as a reason
    (the same feature, when ``subjects`` gives the reasons' and the rules' features in the
    order of their sentences) or saying the same words is shown once; one that says more
    (the reason's words plus more) replaces the reason's text in place. Each item is
    ``{"text", "kind"}`` with ``kind`` ``reason`` or ``rule``.

    Examples
    --------
    >>> why_at_risk(["No order for 200 days", "Orders fell 60%", "owner left 30 days ago"],
    ...             ["no order for 200 days, twice the usual gap", "Orders fell 60%",
    ...              "the account owner left the company 30 days ago", "Late payment"],
    ...             subjects=(["recency_days", "orders_change_90d", "days_since_owner_left"],
    ...                       ["gap_ratio", "orders_change_90d", "days_since_owner_left",
    ...                        "avg_days_late_365d"]))  # doctest: +NORMALIZE_WHITESPACE
    [{'text': 'no order for 200 days, twice the usual gap', 'kind': 'reason'},
     {'text': 'Orders fell 60%', 'kind': 'reason'},
     {'text': 'owner left 30 days ago', 'kind': 'reason'},
     {'text': 'Late payment', 'kind': 'rule'}]
    """
    reasons, rules = list(dict.fromkeys(reasons)), list(dict.fromkeys(rules))
    reason_features, rule_features = subjects or ([], [])
    if len(reason_features) != len(reasons) or len(rule_features) != len(rules):
        reason_features, rule_features = [None] * len(reasons), [None] * len(rules)
    items = [{"text": r, "kind": "reason", **({"stored": True} if isinstance(r, StoredText)
                                              else {})} for r in reasons]
    for rule, feature in zip(rules, rule_features, strict=True):
        key = _key(rule)
        same = next((item for item, of in zip(items, [*reason_features, *[None] * len(items)],
                                              strict=False)
                     if (feature is not None and of == feature) or
                     key.startswith(_key(item["text"])) or _key(item["text"]).startswith(key)),
                    None)
        if same is None:
            items.append({"text": rule, "kind": "rule"})
        elif key.startswith(_key(same["text"])) and len(key) > len(_key(same["text"])):
            same["text"] = rule
    return items


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def worklist_store(request: Request, db: Any, user: User, *, page: int,
                   today: date, which: str = "save") -> dict[str, Any]:
    """The app-store part of the worklist: one page of customers, the total, tasks, care
    events and overdue complaints. Kept in memory until the app database changes (SQLite:
    any commit touches the database or its write-ahead log), so reloads cost no queries."""

    def compute() -> dict[str, Any]:
        sizes = list_sizes(db, user)
        rows = db.scalars(list_query(user, which).offset((page - 1) * PAGE_SIZE)
                          .limit(PAGE_SIZE)).all()
        return {"rows": list(rows), "total": sizes[which], "sizes": sizes,
                "tasks": todays_tasks(db, user, today),
                "care": care_this_week(db, user, today),
                "complaints": overdue_complaints(db, user, datetime.now())}

    version = store_version(request)
    if version is None:
        return compute()
    key = (user.id, user.role, page, today, which)
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
              version: Annotated[int, Form()],
              outcome: Annotated[str, Form()] = "",
              next: Annotated[str, Form()] = "") -> Response:
    """Mark a task done (with an optional outcome); htmx removes it from the list in place,
    a plain form post goes back to the page. ``version`` is the one the page showed: 409 when
    someone changed the task since."""
    from churnguard.workflow.services.tasks import update_task

    update_task(db, task, version=version, status="done", outcome=outcome or task.outcome)
    complaint = task_complaints(db, [task]).get(task.id)
    if (complaint is not None and task.source_key.startswith("complaint-escalation:")
            and complaint.status == "open"):  # "respond now" done: the response is recorded
        complaints.respond(db, complaint, version=complaint.version)
    if request.headers.get("hx-request") == "true":
        return HTMLResponse("")
    return redirect(safe_next(next, "/my-customers"))
