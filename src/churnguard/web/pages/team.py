"""The team page (managers and admins): per rep, their book, what is at risk and how the
retention work goes. Grouped SQL queries on the workflow database (one per measure, never a
loop over customers or reps), joined in pandas."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import case, func, select

from churnguard.web.deps import DbSession
from churnguard.web.pages.common import page_role, render
from churnguard.workflow.models import Complaint, Customer, RiskCase, Task, User

router = APIRouter()
Manager = Annotated[User, page_role("manager", "admin")]
DONE_DAYS = 30
"""Tasks done count over the last 30 days."""
COMPLAINT_DAYS = 90
"""Complaints answered on time: those whose response was due in the last 90 days."""
HIGH_RISK = 0.5


def team_members(db: Any, user: User) -> list[User]:
    """The reps ``user`` manages (every rep for an admin), active ones first, by name."""
    query = select(User).where(User.role == "rep")
    if user.role != "admin":
        query = query.where(User.manager_id == user.id)
    reps = db.scalars(query).all()
    return sorted(reps, key=lambda u: (not u.active, (u.display_name or u.username).casefold()))


def _grouped(db: Any, owner: Any, ids: list[int], **measures: Any) -> pd.DataFrame:
    rows = db.execute(select(owner.label("owner_id"),
                             *[m.label(n) for n, m in measures.items()])
                      .where(owner.in_(ids)).group_by(owner)).all()
    return pd.DataFrame(rows, columns=["owner_id", *measures]).set_index("owner_id")


def team_table(db: Any, user: User, *, today: date | None = None) -> pd.DataFrame:
    """One row per rep of ``user``'s team.

    Columns: ``user_id, name, active, customers`` (book size), ``high_risk`` (customers with
    p_churn ≥ 0.5), ``profit_at_risk`` (sum over the book), ``cases_recovered, cases_lost,
    save_rate`` (recovered ÷ closed risk cases), ``tasks_done`` (last 30 days),
    ``tasks_overdue`` (open, due before today), ``complaints_due`` (response due in the last
    90 days, up to now), ``complaints_on_time`` and ``on_time_rate``; rates NaN without cases.
    """
    today = today or date.today()
    now = datetime.now()
    reps = team_members(db, user)
    frame = pd.DataFrame({"user_id": [u.id for u in reps],
                          "name": [u.display_name or u.username for u in reps],
                          "active": [bool(u.active) for u in reps]}).set_index("user_id")
    if frame.empty:
        return frame.reset_index()
    ids = frame.index.tolist()
    one = 1
    parts = [
        _grouped(db, Customer.owner_id, ids, customers=func.count(Customer.id),
                 high_risk=func.sum(case((Customer.p_churn >= HIGH_RISK, one), else_=0)),
                 profit_at_risk=func.sum(Customer.profit_at_risk)),
        _grouped(db, RiskCase.owner_id, ids,
                 cases_recovered=func.sum(case((RiskCase.stage == "recovered", one), else_=0)),
                 cases_lost=func.sum(case((RiskCase.stage == "lost", one), else_=0))),
        _grouped(db, Task.owner_id, ids,
                 tasks_done=func.sum(case(((Task.status == "done")
                                           & (Task.completed_at >= now - timedelta(DONE_DAYS)),
                                           one), else_=0)),
                 tasks_overdue=func.sum(case(((Task.status == "open")
                                              & (Task.due_date < today), one), else_=0))),
        _grouped(db, Complaint.owner_id, ids,
                 complaints_due=func.sum(case(
                     ((Complaint.response_due_at >= now - timedelta(COMPLAINT_DAYS))
                      & (Complaint.response_due_at < now), one), else_=0)),
                 complaints_on_time=func.sum(case(
                     ((Complaint.response_due_at >= now - timedelta(COMPLAINT_DAYS))
                      & (Complaint.response_due_at < now)
                      & (Complaint.responded_at <= Complaint.response_due_at), one), else_=0))),
    ]
    for part in parts:
        frame = frame.join(part, how="left")
    counts = ["customers", "high_risk", "cases_recovered", "cases_lost", "tasks_done",
              "tasks_overdue", "complaints_due", "complaints_on_time"]
    frame[counts] = frame[counts].apply(pd.to_numeric).fillna(0).astype(int)
    frame["profit_at_risk"] = frame["profit_at_risk"].astype(float).fillna(0.0)
    closed = frame["cases_recovered"] + frame["cases_lost"]
    frame["save_rate"] = (frame["cases_recovered"] / closed).where(closed > 0)
    due = frame["complaints_due"]
    frame["on_time_rate"] = (frame["complaints_on_time"] / due).where(due > 0)
    return frame.reset_index()


@router.get("/team")
def team_page(request: Request, user: Manager, db: DbSession) -> Response:
    """Per rep: book size, value at risk, save rate, tasks done and overdue, complaints
    answered on time."""
    table = team_table(db, user)
    totals = ({c: table[c].sum() for c in ("customers", "high_risk", "profit_at_risk",
                                           "tasks_done", "tasks_overdue")}
              if not table.empty else {})
    return render(request, "team.html", user, rows=table.to_dict("records"), totals=totals,
                  done_days=DONE_DAYS, complaint_days=COMPLAINT_DAYS)
