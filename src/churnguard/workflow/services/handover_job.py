"""Hand-over as a background job (后台客户交接): a leaver's whole book moved in batches with
progress, instead of one long web request.

- customers are dealt most valuable first (``value_if_retained``, then ``profit_at_risk``) to
  the new owners by ``round_robin`` or ``least_loaded`` (computed at once for the whole book);
- every customer's owner changes and their open tasks move along; each move is a
  ``handovers`` row and an audit entry;
- an introduction task goes only to customers still active (not churned), most valuable first,
  at most ``per_day`` new ones a day per new owner from the next day on, and never inside a
  customer's contact-cap window (due no earlier than the day that window ends);
- the work runs in batches of :data:`BATCH`, each its own transaction: the job's page shows
  the progress, and a stopped job is finished by running it again (it picks up the customers
  the leaver still owns).

Examples
--------
>>> import numpy as np
>>> least_loaded_targets(5, np.array([10, 11]), np.array([3, 4])).tolist()
[3, 3, 4, 3, 4]
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from churnguard.workflow import audit
from churnguard.workflow.db import session_scope
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.jobs import JobHandle, start_job
from churnguard.workflow.models import Contact, Customer, HandOver, Task, User, utcnow
from churnguard.workflow.services.frames import read_frame
from churnguard.workflow.services.handover import RULES
from churnguard.workflow.services.outreach import insert_tasks
from churnguard.workflow.settings import WorkflowPolicy

BATCH = 1_000


def least_loaded_targets(n: int, loads: np.ndarray, user_ids: np.ndarray) -> np.ndarray:
    """The owner of each of ``n`` customers dealt in order, each to whoever owns fewest so far
    (ties: lowest id): every owner's free slots at levels load, load+1, … sorted, first n."""
    levels = loads[:, None] + np.arange(n)[None, :]
    owners = np.broadcast_to(user_ids[:, None], levels.shape)
    order = np.lexsort((owners.ravel(), levels.ravel()))[:n]
    return owners.ravel()[order]


def plan(session: Session, from_user: User, to_users: list[User], *, rule: str) -> pd.DataFrame:
    """``customer_id, name, status, from_user_id, to_user_id`` for the leaver's book, most
    valuable first."""
    if rule not in RULES:
        raise InvalidInputError(f"rule {rule!r} is not one of {', '.join(RULES)}.")
    if not to_users:
        raise InvalidInputError("give at least one new owner.")
    for user in to_users:
        if not user.active or user.left_on is not None or user.id == from_user.id:
            raise InvalidInputError(
                f"{user.username} is leaving or inactive; choose another owner."
            )
    book = read_frame(
        session,
        select(Customer.id.label("customer_id"), Customer.name, Customer.status)
        .where(Customer.owner_id == from_user.id)
        .order_by(
            Customer.value_if_retained.desc().nulls_last(),
            Customer.profit_at_risk.desc().nulls_last(),
            Customer.id,
        ),
    )
    ids = np.array([u.id for u in to_users])
    if rule == "round_robin":
        targets = ids[np.arange(len(book)) % len(ids)]
    else:
        owned = dict(
            session.execute(
                select(Customer.owner_id, func.count())
                .where(Customer.owner_id.in_(ids.tolist()))
                .group_by(Customer.owner_id)
            ).all()
        )
        loads = np.array([owned.get(int(i), 0) for i in ids])
        targets = least_loaded_targets(len(book), loads, ids)
    return book.assign(from_user_id=from_user.id, to_user_id=targets.astype(int))


def _intro_dates(
    session: Session,
    batch: pd.DataFrame,
    *,
    start: date,
    per_day: int,
    dealt: pd.Series,
    policy: WorkflowPolicy,
) -> pd.Series:
    """Due dates of the intro tasks of ``batch`` (its active customers): ``per_day`` a day per
    owner from ``start``, counting the ``dealt`` tasks each owner got in earlier batches, and
    not before a customer's contact-cap window ends."""
    rank = batch.groupby("to_user_id").cumcount() + batch["to_user_id"].map(dealt).fillna(0)
    due = pd.Series(
        pd.Timestamp(start) + pd.to_timedelta((rank // per_day).astype(int).to_numpy(), unit="D"),
        index=batch.index,
    )
    last = dict(
        session.execute(
            select(Contact.customer_id, func.max(Contact.at))
            .where(
                Contact.customer_id.in_(batch["customer_id"].tolist()),
                Contact.at
                > datetime.combine(start, datetime.min.time())
                - timedelta(days=policy.contact_cap_days),
            )
            .group_by(Contact.customer_id)
        ).all()
    )
    free = pd.to_datetime(batch["customer_id"].map(last)) + pd.Timedelta(
        days=policy.contact_cap_days
    )
    return pd.concat([due, free.dt.normalize()], axis=1).max(axis=1).dt.date


def run_handover(
    factory: sessionmaker[Session],
    job: JobHandle,
    from_user_id: int,
    to_user_ids: list[int],
    *,
    rule: str = "least_loaded",
    by_id: int | None = None,
    reason: str = "hand-over",
    today: date | None = None,
    per_day: int = 20,
    policy: WorkflowPolicy = WorkflowPolicy(),
) -> dict[str, Any]:
    """The job's work (see the module docstring); returns what it did."""
    today = today or date.today()
    with session_scope(factory, actor_id=by_id) as session:
        source = session.get(User, from_user_id)
        targets = [session.get(User, i) for i in to_user_ids]
        if source is None or any(t is None for t in targets):
            raise InvalidInputError("the person leaving or a new owner does not exist.")
        book = plan(session, source, targets, rule=rule)  # type: ignore[arg-type]
    total, intros, dealt = len(book), 0, pd.Series(0, index=to_user_ids, dtype="int64")
    job.progress(0, total=total, step="handover")
    for start in range(0, total, BATCH):
        batch = book.iloc[start : start + BATCH]
        with session_scope(factory, actor_id=by_id) as session:
            intros += _move(
                session,
                batch,
                by_id=by_id,
                reason=reason,
                today=today,
                per_day=per_day,
                dealt=dealt,
                policy=policy,
            )
        job.progress(start + len(batch))
        job.add(rows=len(batch))
    return {
        "moved": total,
        "introductions": intros,
        "skipped_not_active": int((book["status"] == "churned").sum()),
    }


def _move(
    session: Session,
    batch: pd.DataFrame,
    *,
    by_id: int | None,
    reason: str,
    today: date,
    per_day: int,
    dealt: pd.Series,
    policy: WorkflowPolicy,
) -> int:
    now = utcnow()
    session.execute(
        update(Customer),
        [
            {"id": cid, "owner_id": int(to), "handover_flag": False}
            for cid, to in zip(batch["customer_id"], batch["to_user_id"], strict=True)
        ],
    )
    audit.record(
        session,
        "customers",
        [
            (cid, {"owner_id": int(old)}, {"owner_id": int(to)})
            for cid, old, to in zip(
                batch["customer_id"], batch["from_user_id"], batch["to_user_id"], strict=True
            )
        ],
        action="update",
    )
    for to, part in batch.groupby("to_user_id"):  # one statement per new owner
        session.execute(
            update(Task)
            .where(Task.customer_id.in_(part["customer_id"].tolist()), Task.status == "open")
            .values(owner_id=int(to), version=Task.version + 1),
            execution_options={"synchronize_session": False},
        )
    active = batch[batch["status"] != "churned"]
    intro_ids = pd.Series(dtype="int64")
    if not active.empty:
        due = _intro_dates(
            session,
            active,
            start=today + timedelta(days=1),
            per_day=per_day,
            dealt=dealt,
            policy=policy,
        )
        counts = active["to_user_id"].value_counts()
        dealt.loc[counts.index] += counts.to_numpy()
        intro_ids = insert_tasks(
            session,
            pd.DataFrame(
                {
                    "customer_id": active["customer_id"],
                    "owner_id": active["to_user_id"],
                    "due_date": due,
                    "title_params": [
                        {"name": n or c}
                        for c, n in zip(active["customer_id"], active["name"], strict=True)
                    ],
                    "source_key": "handover:"
                    + active["customer_id"]
                    + ":"
                    + active["to_user_id"].astype(str)
                    + f":{today:%Y%m%d}",
                }
            ),
            kind="introduction",
            title_key="tasktitle.introduction",
            signal="handover",
        )
    rows = [
        {
            "customer_id": cid,
            "from_user_id": int(old),
            "to_user_id": int(to),
            "reason": reason[:200],
            "by_id": by_id,
            "at": now,
            "intro_task_id": int(intro_ids[i]) if i in intro_ids.index else None,
        }
        for i, cid, old, to in zip(
            batch.index,
            batch["customer_id"],
            batch["from_user_id"],
            batch["to_user_id"],
            strict=True,
        )
    ]
    ids = (
        session.execute(insert(HandOver).returning(HandOver.id, sort_by_parameter_order=True), rows)
        .scalars()
        .all()
    )
    audit.record(
        session,
        "handovers",
        [(i, None, r) for i, r in zip(ids, rows, strict=True)],
        action="insert",
    )
    return len(intro_ids)


def start_handover(
    factory: sessionmaker[Session],
    from_user_id: int,
    to_user_ids: list[int],
    *,
    background: bool = True,
    **options: Any,
) -> int:
    """Start the hand-over job (``options`` as :func:`run_handover`); returns the job id."""
    return start_job(
        factory,
        "handover",
        lambda job: run_handover(factory, job, from_user_id, to_user_ids, **options),
        requested_by=options.get("by_id"),
        background=background,
    )
