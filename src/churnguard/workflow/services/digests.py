"""What a person hears about each morning (每日摘要): the facts of their book, in their language.

:func:`digest_facts` reads, with one query per kind of fact for all recipients at once:

- ``new_high``: customers whose risk case opened since the person's previous digest (on the
  digest day or the day before when there was none), still open;
- ``lapsing_core``: core customers (tier ``core``) whose lifecycle is ``lapsing``, not churned;
- ``tasks_due``: open tasks due on or before the digest day;
- ``overdue_complaints``: open complaints with no response past their response deadline.

:func:`render_digest` turns one person's facts into a subject and a plain-text body (bullets
that read well as mail and as 企业微信 / 钉钉 / 飞书 markdown).

Examples
--------
>>> percent(0.256), money(1234.5)
('26%', '1,234')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from churnguard.i18n import translate
from churnguard.workflow.models import Complaint, Customer, OutboxMessage, RiskCase, Task, User
from churnguard.workflow.services.cases import CLOSED
from churnguard.workflow.services.frames import read_frame
from churnguard.workflow.services.tasks import render_title

SHOWN = 10  # lines listed per section; the heading carries the full count
SECTIONS = ("new_high", "lapsing_core", "tasks_due", "overdue_complaints")


@dataclass
class Digest:
    """One person's facts: a frame per section (rows in the order they are listed)."""

    user_id: int
    sections: dict[str, pd.DataFrame] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.sections.items()}

    def empty(self) -> bool:
        return not any(self.counts().values())


def percent(value: float | None) -> str:
    """A share as a whole percent (``–`` when unknown)."""
    return "–" if value is None or value != value else f"{value:.0%}"


def money(value: float | None) -> str:
    """An amount rounded to whole units with thousands separators (``–`` when unknown)."""
    return "–" if value is None or value != value else f"{value:,.0f}"


def digest_key(user_id: int, day: date, channel: str) -> str:
    """The outbox key of a digest: ``digest:<YYYY-MM-DD>:<user>:<channel>`` (the day first, so
    keys sort by day).

    Examples
    --------
    >>> digest_key(7, date(2024, 6, 3), "email")
    'digest:2024-06-03:7:email'
    """
    return f"digest:{day.isoformat()}:{user_id}:{channel}"


def previous_digest_day(session: Session, user_ids: Sequence[int], today: date) -> dict[int, date]:
    """The day of each person's latest digest before ``today`` (from the outbox keys of
    :func:`digest_key`); people without one are left out."""
    rows = session.execute(
        select(OutboxMessage.user_id, func.max(OutboxMessage.dedupe_key))
        .where(
            OutboxMessage.kind == "digest",
            OutboxMessage.user_id.in_(list(user_ids)),
            OutboxMessage.dedupe_key < f"digest:{today.isoformat()}",
        )
        .group_by(OutboxMessage.user_id)
    ).all()
    return {int(user_id): date.fromisoformat(key.split(":")[1]) for user_id, key in rows}


def digest_facts(
    session: Session, users: Sequence[User], *, today: date, moment: datetime
) -> dict[int, Digest]:
    """Each of ``users``' facts for the digest of ``today``; complaints are overdue when their
    deadline is before ``moment``."""
    ids = [u.id for u in users]
    if not ids:
        return {}
    previous = previous_digest_day(session, ids, today)
    since = {uid: previous.get(uid, today - timedelta(days=1)) + timedelta(days=1) for uid in ids}
    earliest = datetime.combine(min(since.values()), time())
    cases = read_frame(
        session,
        select(
            Customer.owner_id,
            Customer.id,
            Customer.name,
            Customer.p_churn,
            RiskCase.opened_at,
        )
        .join(RiskCase, RiskCase.customer_id == Customer.id)
        .where(
            Customer.owner_id.in_(ids),
            RiskCase.stage.not_in(CLOSED),
            RiskCase.opened_at >= earliest,
            RiskCase.opened_at < datetime.combine(today + timedelta(days=1), time()),
        )
        .order_by(Customer.profit_at_risk.desc().nulls_last(), Customer.id),
    )
    if not cases.empty:
        start = cases["owner_id"].map(lambda uid: datetime.combine(since[int(uid)], time()))
        cases = cases[pd.to_datetime(cases["opened_at"]) >= pd.to_datetime(start)]
    lapsing = read_frame(
        session,
        select(
            Customer.owner_id,
            Customer.id,
            Customer.name,
            Customer.value_if_retained,
        )
        .where(
            Customer.owner_id.in_(ids),
            Customer.is_core,
            Customer.lifecycle == "lapsing",
            Customer.status != "churned",
        )
        .order_by(Customer.value_if_retained.desc().nulls_last(), Customer.id),
    )
    tasks = read_frame(
        session,
        select(
            Task.owner_id,
            Task.id,
            Task.title,
            Task.title_key,
            Task.title_params,
            Task.due_date,
        )
        .where(Task.owner_id.in_(ids), Task.status == "open", Task.due_date <= today)
        .order_by(Task.due_date, Task.id),
    )
    complaints = read_frame(
        session,
        select(
            Complaint.owner_id,
            Complaint.id,
            Complaint.severity,
            Complaint.response_due_at,
            Customer.name,
            Complaint.customer_id,
        )
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(
            Complaint.owner_id.in_(ids),
            Complaint.status == "open",
            Complaint.responded_at.is_(None),
            Complaint.response_due_at < moment,
        )
        .order_by(Complaint.response_due_at, Complaint.id),
    )
    frames = dict(zip(SECTIONS, (cases, lapsing, tasks, complaints), strict=True))
    digests = {uid: Digest(uid) for uid in ids}
    for name, frame in frames.items():
        groups = dict(tuple(frame.groupby("owner_id"))) if not frame.empty else {}
        for uid in ids:
            digests[uid].sections[name] = groups.get(uid, frame.iloc[0:0]).reset_index(drop=True)
    return digests


def _lines(name: str, frame: pd.DataFrame, lang: str) -> list[str]:
    shown = frame.head(SHOWN)
    if name == "new_high":
        return [
            translate(
                "notify.line.customer", lang, name=r.name or r.id, id=r.id, p=percent(r.p_churn)
            )
            for r in shown.itertuples()
        ]
    if name == "lapsing_core":
        return [
            translate(
                "notify.line.lapsing",
                lang,
                name=r.name or r.id,
                id=r.id,
                value=money(r.value_if_retained),
            )
            for r in shown.itertuples()
        ]
    if name == "tasks_due":
        return [
            translate(
                "notify.line.task",
                lang,
                due=r.due_date.isoformat(),
                title=(render_title(r.title_key, r.title_params, lang) if r.title_key else None)
                or r.title,
            )
            for r in shown.itertuples()
        ]
    return [
        translate(
            "notify.line.complaint",
            lang,
            id=r.id,
            name=r.name or r.customer_id,
            severity=translate(f"severity.{r.severity}", lang),
            due=f"{pd.Timestamp(r.response_due_at):%Y-%m-%d %H:%M}",
        )
        for r in shown.itertuples()
    ]


def render_digest(digest: Digest, user: User, *, today: date, lang: str) -> tuple[str, str]:
    """The subject and body of ``digest`` for ``user`` in ``lang``; empty sections are left
    out and each section lists at most :data:`SHOWN` lines under its full count."""
    counts = digest.counts()
    subject = translate(
        "notify.digest.subject",
        lang,
        date=today.isoformat(),
        tasks=counts["tasks_due"],
        new_high=counts["new_high"],
    )
    lines = [
        translate(
            "notify.digest.greeting",
            lang,
            name=user.display_name or user.username,
            date=today.isoformat(),
        )
    ]
    for name in SECTIONS:
        frame = digest.sections[name]
        if frame.empty:
            continue
        lines += ["", translate(f"notify.digest.{name}", lang, n=len(frame))]
        lines += [f"- {line}" for line in _lines(name, frame, lang)]
        if len(frame) > SHOWN:
            lines.append(translate("notify.digest.more", lang, n=len(frame) - SHOWN))
    lines += ["", translate("notify.digest.footer", lang)]
    return subject, "\n".join(lines)
