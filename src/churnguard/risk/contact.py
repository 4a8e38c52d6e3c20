"""Signs of life and of leaving in the customer's contacts, as point-in-time features.

Orders say when a customer last bought; contacts say more about whether they are still there:

- an **exit survey** answered since the last purchase: the customer told us they left
  (``exit_survey_since_order``, ``days_since_exit_survey``); such customers belong on the
  win-back list, not the save list (:func:`churnguard.risk.scoring.lifecycle`);
- a **contact since the last purchase** (a complaint, ticket, survey or NPS answer, call or
  visit — kinds the customer takes part in, not our own e-mails or care calls): they were
  still there after their last order (``days_since_contact``, ``contact_after_order_days`` =
  days from the last purchase to the last contact, negative when the contact came first);
- **complaints naming a reason to switch** — price, a competitor, the market, or the account
  owner's departure (:data:`SWITCHING_REASONS`, codes of the churn-reason taxonomy) — in the
  last 180 days (``switching_complaints_180d``). Routine complaints (quality, delivery,
  service) are counted by the service features; these are the ones customers make when
  weighing another supplier.

Only rows dated before ``known_until`` (default ``as_of``) are read; days are measured at
``as_of``. Complaints without a reason code count as routine.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from churnguard.churn import midnight

CONTACT_COLUMNS = [
    "exit_survey_since_order",
    "days_since_exit_survey",
    "days_since_contact",
    "contact_after_order_days",
    "switching_complaints_180d",
]
CONTACT_KINDS = ("complaint", "ticket", "survey", "csat", "nps", "call", "visit")
SWITCHING_REASONS = ("price", "competitor", "market", "staff_departure")
ZERO_FILLED = ("exit_survey_since_order", "switching_complaints_180d")


def contact_features(ws: object, as_of: date, *, known_until: date | None = None) -> ir.Table:
    """``customer_id, days_since_exit_survey_any, days_since_contact,
    switching_complaints_180d`` per customer with an interaction before ``known_until``
    (default ``as_of``); :func:`contact_signals` relates them to the last purchase."""
    rows = ws.table("interactions")  # type: ignore[attr-defined]
    rows = rows.filter(rows.ts < midnight(known_until or as_of))
    age = ibis.date(as_of).delta(rows.ts.cast("date"), unit="day")
    rows = rows.mutate(age=age)
    complaint = rows.kind == "complaint"
    switching = complaint & rows.reason.isin(SWITCHING_REASONS) & (rows.age <= 180)
    return rows.group_by("customer_id").aggregate(
        days_since_exit_survey_any=rows.age.min(where=rows.kind == "exit_survey"),
        days_since_contact=rows.age.min(where=rows.kind.isin(CONTACT_KINDS)),
        switching_complaints_180d=rows.interaction_id.count(where=switching),
    )


def contact_signals(table: ir.Table) -> ir.Table:
    """Relate the contacts of ``table`` (joined :func:`contact_features` and
    ``recency_days``) to the last purchase; replaces ``days_since_exit_survey_any`` by
    :data:`CONTACT_COLUMNS`."""
    recency = table.recency_days
    exit_days = table.days_since_exit_survey_any
    since_order = exit_days.notnull() & recency.notnull() & (exit_days <= recency)
    return table.mutate(
        exit_survey_since_order=since_order.cast("int64"),
        days_since_exit_survey=ibis.ifelse(since_order, exit_days, ibis.null("int64")),
        contact_after_order_days=recency - table.days_since_contact,
        switching_complaints_180d=table.switching_complaints_180d.fill_null(0),
    ).drop("days_since_exit_survey_any")
