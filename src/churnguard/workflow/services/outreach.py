"""Many tasks at once, spread over working days (外联排期): campaigns and hand-overs give owners
one task per customer, at most ``per_day`` new ones a day each, most valuable first.

Examples
--------
>>> import pandas as pd
>>> from datetime import date
>>> due = spread_due_dates(pd.Series([1, 1, 1, 2]), start=date(2024, 6, 3), per_day=2)
>>> [d.isoformat() for d in due]
['2024-06-03', '2024-06-03', '2024-06-04', '2024-06-03']
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from churnguard.workflow import audit
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import Task, utcnow
from churnguard.workflow.services.frames import records
from churnguard.workflow.services.tasks import render_title

CHUNK = 2_000


def spread_due_dates(owner_ids: pd.Series, *, start: date, per_day: int) -> pd.Series:
    """A due date per row: each owner's rows (in the order given) fill ``per_day`` a day from
    ``start`` on."""
    if per_day < 1:
        raise InvalidInputError(f"per_day={per_day}: give at least one task a day.")
    offset = owner_ids.groupby(owner_ids, dropna=False).cumcount() // per_day
    days = pd.to_timedelta(offset.to_numpy(dtype=np.int64), unit="D")
    return pd.Series((pd.Timestamp(start) + days).date, index=owner_ids.index)


def insert_tasks(
    session: Session, tasks: pd.DataFrame, *, kind: str, title_key: str, signal: str | None = None
) -> pd.Series:
    """Insert one open task per row of ``tasks`` (``customer_id``, ``owner_id``,
    ``due_date``, ``source_key``, ``title_params``), audited; rows whose ``source_key``
    exists keep their task. Returns the task id of every row (index of ``tasks``)."""
    if tasks.empty:
        return pd.Series(dtype="int64")
    keys = tasks["source_key"].tolist()
    existing: dict[str, int] = {}
    for start in range(0, len(keys), CHUNK):
        existing.update(
            session.execute(
                select(Task.source_key, Task.id).where(
                    Task.source_key.in_(keys[start : start + CHUNK])
                )
            )
            .tuples()
            .all()
        )
    fresh = tasks[~tasks["source_key"].isin(existing)]
    if not fresh.empty:
        frame = pd.DataFrame(
            {
                "customer_id": fresh["customer_id"],
                "owner_id": fresh["owner_id"].astype("Int64"),
                "kind": kind,
                "title": [
                    (render_title(title_key, p, "en") or title_key)[:300]
                    for p in fresh["title_params"]
                ],
                "title_key": title_key,
                "title_params": fresh["title_params"],
                "due_date": fresh["due_date"],
                "status": "open",
                "signal": signal,
                "source_key": fresh["source_key"],
                "created_at": utcnow(),
                "version": 1,
            }
        )
        rows = records(frame)
        ids = (
            session.execute(insert(Task).returning(Task.id, sort_by_parameter_order=True), rows)
            .scalars()
            .all()
        )
        audit.record(
            session,
            "tasks",
            [(i, None, r) for i, r in zip(ids, rows, strict=True)],
            action="insert",
        )
        existing.update(zip(fresh["source_key"], ids, strict=True))
    return tasks["source_key"].map(existing).astype("int64")
