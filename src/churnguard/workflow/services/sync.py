"""``churnguard sync``: bring the warehouse's customers, owners, scores and tiers into the app
store, act on them (risk cases, playbook tasks, escalations, care events, the churn archive),
and push the workflow's results back. Idempotent: running it twice changes nothing the second
time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import ibis
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.reasons.pareto import fill_reasons
from churnguard.workflow.db import refresh_statistics
from churnguard.workflow.models import Complaint, Customer, User
from churnguard.workflow.services import (
    archive,
    care,
    cases,
    complaints,
    consent,
    directory,
    handover,
    playbooks,
    pushback,
    scores,
)
from churnguard.workflow.services.frames import as_date
from churnguard.workflow.settings import WorkflowPolicy


@dataclass
class SyncResult:
    """What one sync did (counts), and the date it acted as of."""

    as_of: date
    counts: dict[str, int] = field(default_factory=dict)
    pushed: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_as_of(ws: Any) -> date:
    """The latest scoring date in ``risk_scores``; else the day after the latest order; else
    today."""
    for table, column, shift in (("risk_scores", "as_of", 0), ("orders", "order_date", 1)):
        if ws.has_table(table):
            latest = as_date(ws.table(table)[column].max().execute())
            if latest is not None:
                return latest + timedelta(days=shift)
    return date.today()


def sync(ws: Any, session: Session, *, as_of: date | None = None, push: bool = True,
         now: datetime | None = None) -> SyncResult:
    """Run the whole sync in ``session`` (the caller commits). See the module docstring."""
    as_of = as_of or default_as_of(ws)
    now = now or datetime.combine(as_of, time(8))
    policy = WorkflowPolicy.of(ws)
    result = SyncResult(as_of=as_of)
    counts = result.counts
    if ws.has_table("staff"):
        counts.update(directory.sync_staff(session, ws.to_pandas("staff")))
    customers = ws.to_pandas("customers")
    counts.update(directory.sync_customers(session, customers, now=now))
    counts["customer_addresses_updated"] = consent.sync_addresses(session, customers)
    counts.update({f"marketing_{k}": v
                   for k, v in consent.sync_consent(session, customers, now=now).items()})
    counts["customers_flagged"] = _flag_leavers(session, as_of)
    counts["scores_updated"] = scores.apply_scores(session, scores.latest_scores(ws, as_of))
    try:
        counts["tiers_changed"] = scores.apply_tiers(session, scores.latest_tiers(ws, as_of))
    except Exception as exc:  # the value module is optional; sync must not fail on it
        result.notes.append(f"tiers skipped: {exc}")
    counts["archived"] = archive.archive_churned(
        session, archive.churned_from_warehouse(ws, as_of))
    counts["complaints_imported"] = _import_complaints(ws, session, as_of, policy)
    counts["escalated"] = len(complaints.escalate_overdue(session, now=now))
    churned = set(session.scalars(select(Customer.id).where(Customer.status == "churned")))
    closed = cases.close_cases_from_scores(session, recovered_below=policy.recovered_below,
                                           churned=churned, now=now)
    counts.update({f"cases_{k}": v for k, v in closed.items()})
    counts["cases_opened"] = cases.open_cases_for_scores(session, threshold=policy.case_threshold,
                                                         now=now)
    rules = playbooks.parse_playbooks(ws.settings.section("playbooks"))
    counts["tasks_created"] = playbooks.run_playbooks(session, rules, today=as_of)
    counts["care_events_created"] = care.generate_care_events(
        session, start=as_of, days_ahead=policy.care_days_ahead)
    session.flush()
    refresh_statistics(session)
    if push:
        result.pushed = pushback.push_back(ws, session)
    return result


def _flag_leavers(session: Session, as_of: date) -> int:
    """Flag the customers of staff whose leaving date has come (once per leaver)."""
    flagged = 0
    leavers = session.scalars(select(User).where(User.left_on.is_not(None),
                                                 User.left_on <= as_of + timedelta(days=30)))
    for user in leavers:  # a handful of people, not customers
        flagged += len([c for c in handover.handover_list(session, user) if not c.handover_flag])
        handover.mark_leaving(session, user, left_on=user.left_on)
    return flagged


def _import_complaints(ws: Any, session: Session, as_of: date, policy: WorkflowPolicy) -> int:
    """Bring unresolved warehouse complaints from the last ``complaint_lookback_days`` into the
    workflow (once each, keyed by interaction id)."""
    if not ws.has_table("interactions"):
        return 0
    table = ws.table("interactions")
    start = as_of - timedelta(days=policy.complaint_lookback_days)
    recent = table.filter(table.kind == "complaint", table.resolved_at.isnull(),
                          table.ts >= ibis.timestamp(str(start)),
                          table.ts < ibis.timestamp(str(as_of))).to_pandas()
    if recent.empty:
        return 0
    keys = ("interaction:" + recent["interaction_id"].astype(str)).tolist()
    known = set(session.scalars(select(Complaint.source_key).where(
        Complaint.source_key.in_(keys))))
    customers = {c.id: c for c in session.scalars(select(Customer).where(
        Customer.id.in_(recent["customer_id"].astype(str).tolist())))}
    given = recent["reason"] if "reason" in recent else pd.Series(None, index=recent.index)
    recent["reason"] = fill_reasons(given, recent["text"] if "text" in recent else
                                    pd.Series(None, index=recent.index, dtype=object))
    created = 0
    for row, key in zip(recent.to_dict("records"), keys, strict=True):  # recent complaints only
        customer = customers.get(str(row["customer_id"]))
        if key in known or customer is None:
            continue
        complaints.log_complaint(session, customer, severity="medium",
                                 reason=row.get("reason") or "other",
                                 description=row.get("text") or "",
                                 received_at=pd.Timestamp(row["ts"]).to_pydatetime(),
                                 policy=policy, source_key=key)
        created += 1
    return created
