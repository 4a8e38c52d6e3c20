"""The churn archive (流失客户档案): who left, when and why, whether they are worth winning
back, return visits, and when they came back."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from churnguard.workflow import audit
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import ChurnRecord, Customer, ReturnVisit, User, utcnow
from churnguard.workflow.services.frames import read_frame, records

VALUABLE_TIERS = ("core", "growth")


def archive_customer(session: Session, customer: Customer, *, churn_date: date,
                     reason: str | None = None, valuable: bool | None = None,
                     notes: str | None = None) -> ChurnRecord:
    """Archive one churned customer (``valuable`` defaults to: tier core or growth)."""
    existing = session.scalar(select(ChurnRecord).where(ChurnRecord.customer_id == customer.id))
    if existing is not None:
        raise InvalidInputError(f"customer {customer.id} is already in the churn archive "
                                f"(churned {existing.churn_date}).")
    record = ChurnRecord(customer_id=customer.id, churn_date=churn_date, reason=reason,
                         valuable=valuable if valuable is not None
                         else customer.tier in VALUABLE_TIERS, notes=notes)
    customer.status = "churned"
    session.add(record)
    session.flush()
    return record


def archive_churned(session: Session, churned: pd.DataFrame) -> int:
    """Archive in bulk the customers in ``churned`` (``customer_id, churn_date, reason``) that
    are not archived yet; they are marked ``churned``. Returns how many were added."""
    if churned.empty:
        return 0
    known = read_frame(session, select(Customer.id.label("customer_id"), Customer.tier))
    archived = set(session.scalars(select(ChurnRecord.customer_id)))
    frame = churned.merge(known, on="customer_id")
    frame = frame[~frame["customer_id"].isin(archived)]
    if frame.empty:
        return 0
    frame = frame.assign(churn_date=pd.to_datetime(frame["churn_date"]).dt.date,
                         valuable=frame["tier"].isin(VALUABLE_TIERS), created_at=utcnow())
    rows = records(frame[["customer_id", "churn_date", "reason", "valuable", "created_at"]])
    session.execute(insert(ChurnRecord), rows)
    session.execute(update(Customer), [{"id": r["customer_id"], "status": "churned"}
                                       for r in rows])
    audit.record(session, "churn_archive", [(r["customer_id"], None, r) for r in rows],
                 action="insert")
    return len(rows)


def add_visit(session: Session, record: ChurnRecord, *, visited_on: date, note: str | None,
              by: User | None = None) -> ReturnVisit:
    """Log a return visit (回访) to an archived customer."""
    visit = ReturnVisit(record_id=record.id, visited_on=visited_on, note=note,
                        by_id=by.id if by else None)
    session.add(visit)
    session.flush()
    return visit


def mark_won_back(session: Session, record: ChurnRecord, *, on: date) -> ChurnRecord:
    """Record that the customer came back; they are active again."""
    if on < record.churn_date:
        raise InvalidInputError(f"won back on {on} is before the churn date {record.churn_date}.")
    record.won_back_on = on
    customer = session.get(Customer, record.customer_id)
    if customer is not None:
        customer.status = "active"
    session.flush()
    return record


def churned_from_warehouse(ws: object, as_of: date) -> pd.DataFrame:
    """``customer_id, churn_date, reason`` of customers churned as of ``as_of`` by the
    workspace's churn definition; the reason is the latest exit-survey or complaint reason."""
    if not ws.has_table("orders"):  # type: ignore[attr-defined]
        return pd.DataFrame(columns=["customer_id", "churn_date", "reason"])
    try:
        status = ws.status(as_of)  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        return pd.DataFrame(columns=["customer_id", "churn_date", "reason"])
    churned = status.loc[status["status"] == "churned", ["customer_id", "churn_date"]]
    reasons = _reasons(ws, as_of)
    out = churned.merge(reasons, on="customer_id", how="left")
    out["customer_id"] = out["customer_id"].astype(str)
    return out


def _reasons(ws: object, as_of: date) -> pd.DataFrame:
    import ibis

    table = ws.table("interactions")  # type: ignore[attr-defined]
    table = table.filter(table.reason.notnull(), table.ts < ibis.timestamp(str(as_of)),
                         table.kind.isin(["exit_survey", "complaint"]))
    window = ibis.window(group_by=table.customer_id,
                         order_by=[ibis.desc(table.kind == "exit_survey"), ibis.desc(table.ts)])
    latest = table.mutate(_rank=ibis.row_number().over(window)).filter(ibis._._rank == 0)
    return latest.select("customer_id", "reason").to_pandas().astype({"customer_id": str})


def when(value: datetime | date) -> date:
    """A date from a date or datetime."""
    return value.date() if isinstance(value, datetime) else value
