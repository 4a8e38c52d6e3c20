"""Workflow figures for dashboards and ``/api/kpis``, within what a user may see."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from churnguard.workflow.models import Complaint, RiskCase, Task, User
from churnguard.workflow.services import scope


def workflow_summary(session: Session, user: User, *, as_of: date) -> dict[str, Any]:
    """Open and overdue tasks, open and overdue complaints, open risk cases and the save rate
    (recovered / closed cases) among the records ``user`` may see."""
    start = datetime.combine(as_of, time())
    count = select(func.count())
    open_tasks = count.select_from(Task).where(scope.task_clause(user), Task.status == "open")
    open_complaints = count.select_from(Complaint).where(
        scope.complaint_clause(user), Complaint.status.in_(("open", "responded")))
    cases = select(RiskCase.stage, func.count()).where(
        scope.owned_clause(user, RiskCase.owner_id, RiskCase.customer_id)
    ).group_by(RiskCase.stage)
    by_stage = {stage: n for stage, n in session.execute(cases)}
    closed = by_stage.get("recovered", 0) + by_stage.get("lost", 0)
    return {
        "open_tasks": session.scalar(open_tasks),
        "overdue_tasks": session.scalar(open_tasks.where(Task.due_date < as_of)),
        "open_complaints": session.scalar(open_complaints),
        "overdue_complaints": session.scalar(open_complaints.where(
            Complaint.responded_at.is_(None), Complaint.response_due_at < start)),
        "open_cases": sum(n for s, n in by_stage.items() if s not in ("recovered", "lost")),
        "save_rate": by_stage.get("recovered", 0) / closed if closed else None,
    }
