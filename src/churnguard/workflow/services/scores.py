"""Pull the latest risk scores and loyalty tiers from the warehouse into the app store.

``risk_scores`` (written by the risk model): ``customer_id, as_of, p_churn, risk_band,
health_score, reasons, rules_fired, clv, value_if_retained, profit_at_risk, lifecycle,
owner_id``; scores written before ``value_if_retained``/``lifecycle`` existed sync with no value
and as ``active``. Tiers come from a warehouse
table ``value_tiers`` (``customer_id, tier``) when present, else from
:func:`churnguard.value.value_tiers` when that is available.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import ibis
import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from churnguard.workflow import audit
from churnguard.workflow.models import Customer, TierChange, utcnow
from churnguard.workflow.services.directory import changed, diff_rows
from churnguard.workflow.services.frames import plain, read_frame

SCORE_FIELDS = ["p_churn", "risk_band", "health_score", "clv", "value_if_retained",
                "profit_at_risk", "lifecycle", "reasons", "scored_as_of"]
LIFECYCLES = ("active", "lapsing")


def latest_scores(ws: Any, as_of: date | None) -> pd.DataFrame:
    """Each customer's latest ``risk_scores`` row on or before ``as_of`` (empty without one)."""
    if not ws.has_table("risk_scores"):
        return pd.DataFrame(columns=["customer_id", *SCORE_FIELDS])
    table = ws.table("risk_scores")
    if as_of is not None:
        table = table.filter(table.as_of.cast("date") <= as_of)
    window = ibis.window(group_by=table.customer_id, order_by=ibis.desc(table.as_of))
    latest = table.mutate(_rank=ibis.row_number().over(window)).filter(ibis._._rank == 0)
    frame = latest.drop("_rank").to_pandas()
    frame["scored_as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    for name in ("health_score", "clv", "value_if_retained", "profit_at_risk", "reasons",
                 "rules_fired", "lifecycle"):
        if name not in frame:
            frame[name] = None
    frame["lifecycle"] = frame["lifecycle"].where(frame["lifecycle"].isin(LIFECYCLES), "active")
    frame["reasons"] = frame["reasons"].map(_as_list)
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame


def _as_list(value: Any) -> list[str] | None:
    value = plain(value)
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None]
    text = str(value)
    if text.startswith("["):
        try:
            return [str(v) for v in json.loads(text)]
        except ValueError:
            pass
    return [part.strip() for part in text.split(";") if part.strip()]


def apply_scores(session: Session, scores: pd.DataFrame) -> int:
    """Update the score columns of customers whose score changed; returns how many.

    Scores are derived data (reproducible from ``risk_scores``) and are not audited.
    """
    if scores.empty:
        return 0
    existing = read_frame(session, select(Customer.id, *[getattr(Customer, f)
                                                         for f in SCORE_FIELDS]))
    existing = existing.set_index("id")
    incoming = scores.set_index("customer_id")[SCORE_FIELDS]
    incoming = incoming[incoming.index.isin(existing.index)]
    incoming = incoming.assign(reasons=incoming["reasons"].map(json.dumps))
    old = existing.loc[incoming.index].assign(reasons=existing["reasons"].map(json.dumps))
    rows = diff_rows(incoming, old, SCORE_FIELDS)
    if rows:
        session.execute(update(Customer), [
            {"id": key, **{k: json.loads(v) if k == "reasons" else v for k, v in after.items()}}
            for key, _before, after in rows])
    return len(rows)


def latest_tiers(ws: Any, as_of: date | None) -> pd.DataFrame:
    """``customer_id, tier`` from the warehouse ``value_tiers`` table or the value module."""
    if ws.has_table("value_tiers"):
        frame = ws.to_pandas("value_tiers")
        if "as_of" in frame and as_of is not None:
            frame = frame[pd.to_datetime(frame["as_of"]).dt.date <= as_of]
            frame = frame.sort_values("as_of").drop_duplicates("customer_id", keep="last")
        return frame[["customer_id", "tier"]].astype({"customer_id": str})
    try:
        from churnguard.value import value_tiers  # type: ignore[attr-defined]
    except ImportError:
        return pd.DataFrame(columns=["customer_id", "tier"])
    if as_of is None or not ws.has_table("orders"):
        return pd.DataFrame(columns=["customer_id", "tier"])
    frame = value_tiers(ws, as_of=as_of)
    return frame[["customer_id", "tier"]].astype({"customer_id": str})


def apply_tiers(session: Session, tiers: pd.DataFrame) -> int:
    """Set changed tiers (``is_core`` = tier ``core``), log each change; returns how many."""
    if tiers.empty:
        return 0
    existing = read_frame(session, select(Customer.id, Customer.tier)).set_index("id")
    incoming = tiers.drop_duplicates("customer_id").set_index("customer_id")[["tier"]]
    incoming = incoming[incoming.index.isin(existing.index)]
    mask = changed(incoming["tier"], existing.loc[incoming.index, "tier"])
    moved = incoming[mask.to_numpy()]
    if moved.empty:
        return 0
    old = existing.loc[moved.index, "tier"]
    now = utcnow()
    session.execute(update(Customer), [
        {"id": key, "tier": plain(tier), "is_core": plain(tier) == "core"}
        for key, tier in moved["tier"].items()])
    session.execute(insert(TierChange), [
        {"customer_id": key, "old_tier": plain(old[key]), "new_tier": plain(tier), "at": now}
        for key, tier in moved["tier"].items()])
    audit.record(session, "customers", [(key, {"tier": plain(old[key])}, {"tier": plain(tier)})
                                        for key, tier in moved["tier"].items()], action="update")
    return len(moved)
