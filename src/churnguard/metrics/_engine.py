"""Building blocks shared by the metric functions: Ibis expressions that run in the engine and
small dense arrays (one value per period) read back from them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from churnguard.churn import midnight, plus_days, spells_from_events
from churnguard.metrics.periods import Periods

if TYPE_CHECKING:
    from churnguard.workspace import Workspace


def tally(parts: dict[str, ir.Table], size: int) -> dict[str, np.ndarray]:
    """Sum ``weight`` by ``idx`` for each named part, in one engine query.

    Each part is a table with an integer column ``idx`` and a numeric column ``weight``.
    Returns one dense float array of length ``size`` per part (rows with ``idx`` outside
    ``0…size−1`` are dropped).
    """
    pieces = [
        table.select(measure=ibis.literal(name), idx=table.idx.cast("int64"),
                     weight=table.weight.cast("float64"))
        for name, table in parts.items()
    ]
    union = ibis.union(*pieces, distinct=False)
    union = union.filter((union.idx >= 0) & (union.idx < size))
    sums = union.group_by(["measure", "idx"]).aggregate(weight=union.weight.sum()).to_pandas()
    out = {name: np.zeros(size) for name in parts}
    for name, group in sums.groupby("measure"):
        out[str(name)][group["idx"].to_numpy(dtype=int)] = group["weight"].to_numpy(dtype=float)
    return out


def sums_by_period(table: ir.Table, idx: ir.IntegerValue, size: int,
                   **weights: ir.NumericValue) -> dict[str, np.ndarray]:
    """Several sums of ``table`` by period ``idx`` in one query (dense arrays of ``size``)."""
    grouped = table.select(idx=idx.cast("int64"), **weights)
    grouped = grouped.filter((grouped.idx >= 0) & (grouped.idx < size))
    sums = grouped.group_by("idx").aggregate(
        **{name: grouped[name].cast("float64").sum() for name in weights}).to_pandas()
    out = {name: np.zeros(size) for name in weights}
    rows = sums["idx"].to_numpy(dtype=int)
    for name in weights:
        out[name][rows] = sums[name].to_numpy(dtype=float)
    return out


def ones(table: ir.Table, idx: ir.IntegerValue) -> ir.Table:
    """``table`` as a tally part counting rows at ``idx``."""
    return table.select(idx=idx, weight=ibis.literal(1.0))


def spell_bounds(spells: ir.Table, periods: Periods) -> ir.Table:
    """Spells with ``lo`` / ``hi``: the first and last period boundary they cover.

    A spell covers boundary ``b_i`` when ``spell_start < b_i <= churn_date`` (an open spell
    covers every boundary after its start). It covers none when ``lo > hi``.
    """
    lo = periods.boundary_count(spells.spell_start)
    hi = ibis.ifelse(spells.churn_date.isnull(), ibis.literal(periods.n, type="int64"),
                     periods.boundary_count(spells.churn_date) - 1)
    return spells.mutate(lo=lo, hi=hi)


def data_span(ws: Workspace) -> tuple[date | None, date | None]:
    """The first day with an order and the day after the last, over ``orders`` and (when
    loaded) ``order_lines``, whose sales without a customer may reach further; ``(None, None)``
    without orders."""
    tables = [ws.table("orders")]
    if ws.has_table("order_lines"):
        tables.append(ws.table("order_lines"))
    days = ibis.union(*[t.select(day=t.order_date.date()) for t in tables], distinct=False)
    row = days.aggregate(first=days.day.min(), last=days.day.max()).to_pandas().iloc[0]
    if row["first"] is None or row["first"] != row["first"]:
        return None, None
    return pd.Timestamp(row["first"]).date(), pd.Timestamp(row["last"]).date() + timedelta(days=1)


def orders_between(ws: Workspace, first: date, end: date) -> ir.Table:
    """All order rows (returns included) with ``first <= order_date < end``."""
    orders = ws.table("orders")
    return orders.filter(orders.order_date >= midnight(first), orders.order_date < midnight(end))


def customer_period_revenue(ws: Workspace, periods: Periods) -> ir.Table:
    """Net revenue and purchases per customer and period, previous period (−1) included.

    Columns ``customer_id``, ``period``, ``revenue`` (returns included), ``purchases``
    (order rows with ``amount >= 0``) and ``compared``: the revenue the next period is compared
    with (all of it, but only the first days of the period before a partial last period:
    :meth:`Periods.compared`).
    """
    orders = orders_between(ws, periods.previous, periods.bounds[-1])
    orders = orders.mutate(period=periods.index(orders.order_date))
    counted = periods.compared(orders.order_date, orders.period)
    return orders.group_by(["customer_id", "period"]).aggregate(
        revenue=orders.amount.sum(), purchases=(orders.amount >= 0).cast("int64").sum(),
        compared=ibis.ifelse(counted, orders.amount, 0.0).sum())


def current_and_previous(revenue: ir.Table, periods: Periods) -> ir.Table:
    """Per customer and period 0…n−1: ``current`` and ``previous`` period revenue.

    One full outer join of the per-period revenue with itself shifted by a period (a customer
    appears in a period when they had revenue in it or in the period before). ``previous`` is
    the ``compared`` revenue: equal lengths when the last period is partial.
    """
    current = revenue.filter((revenue.period >= 0) & (revenue.period < periods.n)).select(
        "customer_id", "period", current=revenue.revenue)
    before = revenue.filter(revenue.period + 1 < periods.n).select(
        before_customer=revenue.customer_id, next_period=revenue.period + 1,
        previous=revenue.compared).view()
    both = current.outer_join(before, [current.customer_id == before.before_customer,
                                       current.period == before.next_period])
    return both.select(
        customer_id=both.customer_id.fill_null(both.before_customer),
        period=both.period.fill_null(both.next_period),
        current=both.current.fill_null(0.0),
        previous=both.previous.fill_null(0.0),
    ).view()  # a fresh relation: Ibis would otherwise fold a later join into this one


def active_at_period_start(table: ir.Table, spells: ir.Table) -> ir.Table:
    """Rows of ``table`` (with ``customer_id`` and ``period``) whose customer was active at the
    start of ``period``; ``spells`` come from :func:`spell_bounds`."""
    covering = spells.filter(spells.lo <= spells.hi).select(
        "customer_id", spell_lo=spells.lo, spell_hi=spells.hi)
    joined = table.inner_join(covering, "customer_id")
    joined = joined.filter((joined.spell_lo <= joined.period) & (joined.period <= joined.spell_hi))
    return joined.drop("spell_lo", "spell_hi")


def churn_spells(events: ir.Table, periods: Periods) -> ir.Table:
    """The spells of (cached) ``events``, with boundaries, cached in the engine."""
    return spell_bounds(spells_from_events(events), periods).cache()


def window_start(periods: Periods, period: ir.IntegerValue, days: int) -> ir.DateValue:
    """``start_of(period) − days`` as a date expression."""
    return plus_days(periods.start_of(period), -days)


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ``numerator / denominator``; NaN where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out
