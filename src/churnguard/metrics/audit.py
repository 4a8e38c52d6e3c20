"""Service-failure audit (失误查核): per customer group, what went wrong and whether it improved.

For the period ``[start, end)`` and the preceding period of the same length, each group of
customers active at the period start gets:

- ``customers``: how many were active at the period start;
- ``churn_rate``: the share of them not active at the period end;
- ``complaints_per_100``: their complaints in the period per 100 customers, and
  ``complaints_per_100:<reason>`` per complaint reason (``unspecified`` when blank);
- ``unresolved_complaints``: their complaints of the period still unresolved at its end;
- ``spend_up_share`` / ``spend_down_share``: the share whose spend in the period rose / fell by
  more than 20% against the period before it (a customer with no spend before who buys counts
  as a rise).

The result is long: ``group, metric, value, previous, change`` (``change = value − previous``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd

from churnguard.churn import ChurnDefinition, Inactivity, midnight, to_date
from churnguard.errors import ConfigError
from churnguard.io.schema import table_spec
from churnguard.metrics.migration import TierSource, tiers_at

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

SPEND_CHANGE = 0.20


def _groups(ws: Workspace, start: date, by: str, tiers: TierSource,
            churn: ChurnDefinition) -> ir.Table:
    status = churn.status(ws, start)
    active = status.filter(status.status == "active").select("customer_id")
    if by == "tier":
        labels = tiers_at(ws, start, tiers, churn=churn, lookback_days=365)
        joined = active.left_join(labels, "customer_id")
        return joined.select(active.customer_id, group=joined.tier.fill_null("unranked"))
    columns = [c for c in table_spec("customers").column_names if c != "customer_id"]
    if by not in columns:
        raise ConfigError(f"by={by!r} is not 'tier' or a customers column ({', '.join(columns)}).")
    customers = ws.table("customers")
    customers = customers.select("customer_id",
                                 group=customers[by].cast("string").fill_null("unknown"))
    return active.inner_join(customers, "customer_id").select("customer_id", "group")


def _spend(ws: Workspace, first: date, last: date) -> ir.Table:
    orders = ws.table("orders")
    orders = orders.filter(orders.order_date >= midnight(first), orders.order_date < midnight(last))
    return orders.group_by("customer_id").aggregate(spend=orders.amount.sum())


def _period(ws: Workspace, start: date, end: date, *, by: str, tiers: TierSource,
            churn: ChurnDefinition) -> pd.DataFrame:
    groups = _groups(ws, start, by, tiers, churn)
    status = churn.status(ws, end)
    stayed = status.filter(status.status == "active").select("customer_id", stayed=ibis.literal(1))
    now = _spend(ws, start, end).rename(now="spend")
    before = _spend(ws, start - (end - start), start).rename(before="spend")
    rows = groups.left_join(stayed, "customer_id").drop("customer_id_right")
    rows = rows.left_join(now, "customer_id").drop("customer_id_right")
    rows = rows.left_join(before, "customer_id").drop("customer_id_right")
    now_, before_ = rows.now.fill_null(0.0), rows.before.fill_null(0.0)
    up = ibis.ifelse(before_ > 0, now_ > before_ * (1 + SPEND_CHANGE), now_ > 0)
    down = (before_ > 0) & (now_ < before_ * (1 - SPEND_CHANGE))
    base = rows.group_by("group").aggregate(
        customers=rows.count(), stayed=rows.stayed.fill_null(0).sum(),
        up=up.cast("int64").sum(), down=down.cast("int64").sum()).to_pandas()
    interactions = ws.table("interactions")
    complaints = interactions.filter(interactions.kind == "complaint",
                                     interactions.ts >= midnight(start),
                                     interactions.ts < midnight(end))
    open_ = complaints.resolved_at.isnull() | (complaints.resolved_at >= midnight(end))
    complaints = complaints.select("customer_id", reason=complaints.reason.fill_null("unspecified"),
                                   unresolved=open_.cast("int64"))
    complaints = complaints.inner_join(groups, "customer_id")
    by_reason = complaints.group_by(["group", "reason"]).aggregate(
        complaints=complaints.count(), unresolved=complaints.unresolved.sum()).to_pandas()
    return _long(base, by_reason)


def _long(base: pd.DataFrame, by_reason: pd.DataFrame) -> pd.DataFrame:
    base = base.set_index("group")
    customers = base["customers"].astype(float)
    metrics = {
        "customers": customers,
        "churn_rate": 1 - base["stayed"] / customers,
        "complaints_per_100": (by_reason.groupby("group")["complaints"].sum()
                               .reindex(base.index, fill_value=0) / customers * 100),
        "unresolved_complaints": by_reason.groupby("group")["unresolved"].sum()
        .reindex(base.index, fill_value=0).astype(float),
        "spend_up_share": base["up"] / customers,
        "spend_down_share": base["down"] / customers,
    }
    for reason, rows in by_reason.groupby("reason"):
        counts = rows.set_index("group")["complaints"].reindex(base.index, fill_value=0)
        metrics[f"complaints_per_100:{reason}"] = counts / customers * 100
    frames = [pd.DataFrame({"group": base.index, "metric": name, "value": values.to_numpy()})
              for name, values in metrics.items()]
    if not frames:
        return pd.DataFrame(columns=["group", "metric", "value"])
    return pd.concat(frames, ignore_index=True)


def failure_audit(
    ws: Workspace,
    start: date | datetime | str,
    end: date | datetime | str,
    *,
    by: str = "tier",
    tiers: TierSource = None,
    churn: ChurnDefinition = Inactivity(180),  # noqa: B008 - frozen
) -> pd.DataFrame:
    """The failure audit per group, against the preceding period of the same length.

    Parameters
    ----------
    by
        ``"tier"`` (value tier at each period start, see :mod:`churnguard.metrics.migration`
        for ``tiers``) or a customers column (``"segment"``, ``"region"``, ``"owner_id"``…).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from churnguard import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/shop")
    >>> _ = ws.load("customers", pd.DataFrame({"customer_id": ["a", "b"],
    ...                                        "segment": ["smb", "smb"]}))
    >>> _ = ws.load("orders", pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "b"],
    ...     "amount": [10.0, 20.0], "order_date": ["2023-12-05", "2024-01-20"]}))
    >>> audit = failure_audit(ws, "2024-02-01", "2024-03-01", by="segment",
    ...                       churn=Inactivity(days=60))
    >>> audit.set_index("metric").loc["churn_rate", ["value", "previous"]].astype(float).tolist()
    [0.5, 0.0]
    """
    start, end = to_date(start), to_date(end)
    if start >= end:
        raise ConfigError(f"start {start} must be before end {end}.")
    now = _period(ws, start, end, by=by, tiers=tiers, churn=churn)
    before = _period(ws, start - (end - start), start, by=by, tiers=tiers, churn=churn)
    merged = now.merge(before.rename(columns={"value": "previous"}), on=["group", "metric"],
                       how="outer")
    # a reason nobody in a group complained about in one period is zero, not missing
    reasons = merged["metric"].str.startswith("complaints_per_100:")
    pair = ["value", "previous"]
    merged.loc[reasons, pair] = merged.loc[reasons, pair].fillna(0)
    merged["change"] = merged["value"] - merged["previous"]
    return merged.sort_values(["group", "metric"], ignore_index=True)
