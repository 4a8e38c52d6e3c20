"""The priority of an open complaint: who is complaining, how likely they are to leave, how
serious it is and how long it has waited (投诉优先级).

Points, added up:

- severity: critical 3, high 2, medium 1, low 0;
- customer value: a core customer (or tier ``core``) 2, tier ``growth`` 1;
- churn risk: ``p_churn`` at least 0.5 gives 2, at least 0.3 gives 1;
- age: past its response deadline without a response 2, else received more than 3 days ago 1.

Priority ``urgent`` from 6 points, ``high`` from 4, ``medium`` from 2, else ``low``; the queue
shows escalated complaints first, then by priority, then by deadline.

Examples
--------
>>> from datetime import datetime
>>> now = datetime(2026, 7, 1, 12)
>>> complaint_priority(severity="medium", is_core=True, tier="core", p_churn=0.6,
...                    received_at=datetime(2026, 6, 30), response_due_at=datetime(2026, 7, 1),
...                    responded=False, now=now)
'urgent'
>>> complaint_priority(severity="low", is_core=False, tier="low", p_churn=0.1,
...                    received_at=now, response_due_at=datetime(2026, 7, 3),
...                    responded=False, now=now)
'low'
"""

from __future__ import annotations

from datetime import datetime, timedelta

PRIORITIES = ("urgent", "high", "medium", "low")
SEVERITY_POINTS = {"critical": 3, "high": 2, "medium": 1, "low": 0}
PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}


def complaint_priority(*, severity: str, is_core: bool | None, tier: str | None,
                       p_churn: float | None, received_at: datetime,
                       response_due_at: datetime, responded: bool, now: datetime) -> str:
    """``urgent``, ``high``, ``medium`` or ``low`` (see the module notes)."""
    points = SEVERITY_POINTS.get(severity, 1)
    if is_core or tier == "core":
        points += 2
    elif tier == "growth":
        points += 1
    if p_churn is not None and p_churn == p_churn:
        points += 2 if p_churn >= 0.5 else 1 if p_churn >= 0.3 else 0
    if not responded and response_due_at < now:
        points += 2
    elif received_at < now - timedelta(days=3):
        points += 1
    return "urgent" if points >= 6 else "high" if points >= 4 else "medium" if points >= 2 \
        else "low"
