"""Value tiers: core / growth / maintain / low (核心 / 成长 / 维持 / 低价值) customers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import ibis
import pandas as pd

from churnguard.errors import SchemaError
from churnguard.value._data import table_of, to_date
from churnguard.value.profitability import profitability_table
from churnguard.value.rfm import rfm_table

TIERS: tuple[tuple[str, str], ...] = (
    ("core", "核心客户"), ("growth", "成长客户"), ("maintain", "维持客户"), ("low", "低价值客户"))
"""Tier names from the most to the least valuable, with their Chinese labels."""

DEFAULT_CUTOFFS = (0.2, 0.5, 0.8)


def _check_cutoffs(cutoffs: Sequence[float]) -> tuple[float, float, float]:
    values = tuple(float(c) for c in cutoffs)
    if len(values) != 3 or not 0 < values[0] < values[1] < values[2] <= 1:
        raise SchemaError(f"cutoffs must be three increasing customer shares in (0, 1], e.g. "
                          f"(0.2, 0.5, 0.8); received {tuple(cutoffs)}.")
    return values  # type: ignore[return-value]


def _buyers(source: Any, as_of: date) -> ibis.Table:
    return rfm_table(source, as_of=as_of).select("customer_id")


def _revenue_values(source: Any, as_of: date, window_days: int) -> ibis.Table:
    orders = table_of(source, "orders")
    start = as_of - timedelta(days=window_days)
    day = orders.order_date.cast("date")
    recent = orders.filter(day >= start, day < as_of)
    return recent.group_by("customer_id").aggregate(value=recent.amount.cast("float64").sum())


def _profit_values(source: Any, as_of: date, window_days: int) -> ibis.Table:
    profit = profitability_table(source, as_of - timedelta(days=window_days), as_of)
    return profit.select("customer_id", value=profit.profit)


def _clv_values(source: Any, as_of: date, months: int) -> ibis.Table:
    """Revenue CLV (margin 1) from :func:`~churnguard.value.customer_value`; its fit
    warnings are emitted, and a customer without a CLV (no BG/NBD fit) is valued 0."""
    from churnguard.value.valuation import customer_value

    values = customer_value(source, as_of, months=months, margin=1.0)
    frame = pd.DataFrame({"customer_id": values["customer_id"],
                          "value": values["clv"].fillna(0.0)})
    return ibis.memtable(frame)


def tier_table(values: ibis.Table, cutoffs: Sequence[float] = DEFAULT_CUTOFFS) -> ibis.Table:
    """Assign tiers to a table of ``customer_id, value`` in the engine.

    Customers are ranked by value (ties by ``customer_id``). A customer is core when the share
    of customers ranked above her is below ``cutoffs[0]`` (so the top customer is always core),
    growth below ``cutoffs[1]``, maintain below ``cutoffs[2]``, else low. A customer with
    value ≤ 0 is always low.
    """
    core, growth, maintain = _check_cutoffs(cutoffs)
    order = [ibis.desc(values.value), values.customer_id]
    ranked = values.mutate(value_rank=ibis.row_number().over(order_by=order) + 1,
                           customers=values.customer_id.count().over(ibis.window()))
    share = ranked.value_rank.cast("float64") / ranked.customers
    above = (ranked.value_rank - 1).cast("float64") / ranked.customers
    bounds = ((core, 0), (growth, 1), (maintain, 2))
    names = [(above < bound, TIERS[i][0]) for bound, i in bounds]
    labels = [(above < bound, TIERS[i][1]) for bound, i in bounds]
    positive = ranked.value > 0
    return ranked.select(
        "customer_id", "value", "value_rank", customer_share=share,
        tier=ibis.ifelse(positive, ibis.cases(*names, else_="low"), "low"),
        tier_label=ibis.ifelse(positive, ibis.cases(*labels, else_=TIERS[3][1]), TIERS[3][1]))


def value_tiers(ws: Any, as_of: date | datetime | str, *, by: str = "revenue",
                cutoffs: Sequence[float] = DEFAULT_CUTOFFS, window_days: int = 365,
                months: int = 12) -> pd.DataFrame:
    """Core, growth, maintain and low-value tiers of the customers who bought before ``as_of``.

    Parameters
    ----------
    ws
        A Workspace (or an ``ibis.Table``/DataFrame of orders for ``by="revenue"``/``"clv"``).
    as_of
        Only data strictly before this date is used.
    by
        ``"revenue"`` (sum over the last ``window_days``), ``"profit"`` (revenue − goods −
        cost-to-serve over the last ``window_days``) or ``"clv"`` (the revenue CLV of the next
        ``months`` from :func:`~churnguard.value.customer_value`).
    cutoffs
        Cumulative customer shares ending the core, growth and maintain tiers.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, value, value_rank, customer_share, tier, tier_label``, best first.
        The core customers (核心客户) are the rows with ``tier == "core"``.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": list("abcde"),
    ...     "order_date": pd.to_datetime(["2024-01-05"] * 5), "amount": [50.0, 40, 30, 20, 0]})
    >>> value_tiers(orders, as_of="2024-02-01")["tier"].tolist()
    ['core', 'growth', 'growth', 'maintain', 'low']
    """
    cutoff = to_date(as_of)
    if by == "revenue":
        values = _revenue_values(ws, cutoff, window_days)
    elif by == "profit":
        values = _profit_values(ws, cutoff, window_days)
    elif by == "clv":
        values = _clv_values(ws, cutoff, months)
    else:
        raise SchemaError(f"by={by!r} is not one of revenue, profit, clv.")
    buyers = _buyers(ws, cutoff)
    joined = buyers.left_join(values, "customer_id")
    population = joined.select("customer_id", value=joined.value.fill_null(0.0))
    frame = tier_table(population, cutoffs).order_by("value_rank").to_pandas()
    frame.attrs.update(by=by, as_of=str(cutoff))
    return frame.astype({"value_rank": "int64"})


def tier_summary(tiers: pd.DataFrame) -> pd.DataFrame:
    """Customers, value and shares per tier of a :func:`value_tiers` frame (core first)."""
    order = {name: i for i, (name, _) in enumerate(TIERS)}
    grouped = tiers.groupby(["tier", "tier_label"], as_index=False).agg(
        customers=("customer_id", "size"), value=("value", "sum"))
    grouped["customer_share"] = grouped["customers"] / max(int(grouped["customers"].sum()), 1)
    total = grouped["value"].sum()
    grouped["value_share"] = grouped["value"] / total if total else float("nan")
    return grouped.sort_values("tier", key=lambda s: s.map(order), ignore_index=True)


def core_customers(ws: Any, as_of: date | datetime | str, *, by: str = "revenue",
                   cutoffs: Sequence[float] = DEFAULT_CUTOFFS) -> pd.DataFrame:
    """The core tier (核心客户) of :func:`value_tiers`, most valuable first."""
    tiers = value_tiers(ws, as_of=as_of, by=by, cutoffs=cutoffs)
    return tiers[tiers["tier"] == "core"].reset_index(drop=True)


def save_value_tiers(ws: Any, tiers: pd.DataFrame) -> dict[str, int]:
    """Store a :func:`value_tiers` frame in the warehouse table ``value_tiers``.

    Rows are keyed by ``as_of, customer_id`` (saving the same date again replaces it), with
    ``by, value, value_rank, tier, tier_label``; the workflow app reads the latest tier of
    each customer from there. Returns the inserted/updated counts.
    """
    import pyarrow as pa

    if "as_of" not in tiers.attrs:
        raise SchemaError("save_value_tiers needs the frame returned by value_tiers (its "
                          "attrs carry as_of and by).")
    frame = pd.DataFrame({
        "as_of": pd.to_datetime([tiers.attrs["as_of"]] * len(tiers)).date,
        "customer_id": tiers["customer_id"].astype(str), "by": tiers.attrs.get("by", ""),
        "value": tiers["value"].astype(float), "value_rank": tiers["value_rank"].astype("int64"),
        "tier": tiers["tier"].astype(str), "tier_label": tiers["tier_label"].astype(str)})
    return ws.warehouse.upsert("value_tiers", pa.Table.from_pandas(frame, preserve_index=False),
                               key=["as_of", "customer_id"])
