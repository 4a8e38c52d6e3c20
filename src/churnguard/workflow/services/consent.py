"""Marketing consent (营销许可): who may receive campaigns. Every change is a row of
``marketing_opt_outs``; ``customers.marketing_opt_out`` is the current state.

The warehouse's optional ``customers.marketing_consent`` column (import-mappable, e.g.
``--map marketing_consent=营销许可``) is read by sync: ``no``/``false``/``0``/``否``/``退订``…
opts a customer out; ``yes``/``true``/``1``/``是``/``同意``… opts them back in, but only when
the opt-out came from the warehouse too: an opt-out recorded in the app (a customer who asked
a person) is never undone by an import. Blank means unknown and changes nothing.

Examples
--------
>>> consent_values(pd.Series(["是", "No", "", None, "opt-out", "1", "maybe"])).tolist()
[True, False, None, None, False, True, None]
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from churnguard.workflow import audit
from churnguard.workflow.models import Customer, MarketingOptOut, User, utcnow
from churnguard.workflow.services.frames import read_frame

YES = {"yes", "y", "true", "t", "1", "opt-in", "optin", "是", "同意", "允许", "订阅"}
NO = {"no", "n", "false", "f", "0", "opt-out", "optout", "否", "不同意", "拒绝", "退订"}


def consent_values(values: pd.Series) -> pd.Series:
    """``True`` (consents), ``False`` (opted out) or ``None`` (unknown) per value."""
    text = values.astype("string").str.strip().str.lower()
    out = pd.Series([None] * len(values), index=values.index, dtype=object)
    out[text.isin(YES).fillna(False).astype(bool)] = True
    out[text.isin(NO).fillna(False).astype(bool)] = False
    return out


def set_opt_out(
    session: Session,
    customer: Customer,
    *,
    opted_out: bool,
    source: str,
    by: User | None = None,
    note: str | None = None,
) -> Customer:
    """Record a customer opting out of (or back into) marketing."""
    if bool(customer.marketing_opt_out) != opted_out:
        customer.marketing_opt_out = opted_out
        session.add(
            MarketingOptOut(
                customer_id=customer.id,
                opted_out=opted_out,
                source=source[:40],
                note=(note or "")[:200] or None,
                by_id=by.id if by else None,
                at=utcnow(),
            )
        )
        session.flush()
    return customer


def sync_consent(
    session: Session, customers: pd.DataFrame, *, now: datetime | None = None
) -> dict[str, int]:
    """Apply the warehouse's ``marketing_consent`` (see the module docstring); returns
    ``opted_out`` and ``opted_in`` counts."""
    if "marketing_consent" not in customers:
        return {"opted_out": 0, "opted_in": 0}
    now = now or utcnow()
    wanted = pd.DataFrame(
        {
            "id": customers["customer_id"].astype(str),
            "consent": consent_values(customers["marketing_consent"]),
        }
    )
    wanted = wanted[wanted["consent"].notna()]
    current = read_frame(session, select(Customer.id, Customer.marketing_opt_out))
    latest = (
        select(MarketingOptOut.customer_id, func.max(MarketingOptOut.id).label("last"))
        .group_by(MarketingOptOut.customer_id)
        .subquery()
    )
    sources = read_frame(
        session,
        select(MarketingOptOut.customer_id.label("id"), MarketingOptOut.source).join(
            latest, MarketingOptOut.id == latest.c.last
        ),
    )
    frame = wanted.merge(current, on="id").merge(sources, on="id", how="left")
    consents = frame["consent"].map({True: "yes", False: "no"})
    opted = frame["marketing_opt_out"].astype(bool)
    out = frame[consents.eq("no") & ~opted]
    back = frame[consents.eq("yes") & opted & frame["source"].eq("warehouse")]
    for rows, value in ((out, True), (back, False)):
        if rows.empty:
            continue
        ids = rows["id"].tolist()
        session.execute(update(Customer), [{"id": i, "marketing_opt_out": value} for i in ids])
        session.execute(
            insert(MarketingOptOut),
            [{"customer_id": i, "opted_out": value, "source": "warehouse", "at": now} for i in ids],
        )
        audit.record(
            session,
            "customers",
            [(i, {"marketing_opt_out": not value}, {"marketing_opt_out": value}) for i in ids],
            action="update",
        )
    return {"opted_out": len(out), "opted_in": len(back)}


def language_code(values: pd.Series) -> pd.Series:
    """``zh``/``en`` from what an export says (``zh-CN``, ``中文``, ``English``…), else None.

    Examples
    --------
    >>> language_code(pd.Series(["zh-CN", "中文", "EN", "fr", None])).tolist()
    ['zh', 'zh', 'en', None, None]
    """
    text = values.astype("string").str.strip().str.lower()
    out = pd.Series([None] * len(values), index=values.index, dtype=object)
    out[text.str.startswith(("zh", "中", "汉")).fillna(False).astype(bool)] = "zh"
    out[text.str.startswith(("en", "英")).fillna(False).astype(bool)] = "en"
    return out


def sync_addresses(session: Session, customers: pd.DataFrame) -> int:
    """Bring the warehouse's optional ``email`` and ``language`` of customers into the app
    (only the columns the warehouse has; changed rows only). Returns how many changed."""
    columns = [c for c in ("email", "language") if c in customers]
    if not columns:
        return 0
    incoming = pd.DataFrame({"id": customers["customer_id"].astype(str)})
    if "email" in columns:
        email = customers["email"].astype("string").str.strip()
        incoming["email"] = email.where(email.str.contains("@", regex=False).fillna(False))
    if "language" in columns:
        incoming["language"] = language_code(customers["language"])
    current = read_frame(session, select(Customer.id, *[getattr(Customer, c) for c in columns]))
    frame = incoming.merge(current, on="id", suffixes=("", "_old"))
    changed = pd.Series(False, index=frame.index)
    for c in columns:
        new, old = frame[c].astype(object), frame[f"{c}_old"].astype(object)
        changed |= ~((new.isna() & old.isna()) | (new == old)).astype(bool)
    rows = frame[changed]
    if not rows.empty:
        session.execute(
            update(Customer),
            [
                {"id": r["id"], **{c: None if pd.isna(r[c]) else str(r[c]) for c in columns}}
                for r in rows.to_dict("records")
            ],
        )
    return len(rows)
