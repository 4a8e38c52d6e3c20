"""Activity-based cost-to-serve (作业成本法) and true customer profitability.

Each activity (order handling, deliveries, sales visits, support tickets, returns, custom
set-ups…) has a cost pool for a period and a driver count per customer. The driver rate of an
activity is its pooled cost in ``[start, end)`` divided by its total driver count in the same
window; a customer's cost-to-serve is Σ rate × count. Profit is revenue − cost of goods
(``orders.cost`` when present) − cost-to-serve. Everything runs in the engine.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import ibis
import pandas as pd

from churnguard.errors import SchemaError
from churnguard.value._data import table_of, to_date

DateLike = date | datetime | str


def _window(start: DateLike, end: DateLike) -> tuple[date, date]:
    first, last = to_date(start, name="start"), to_date(end, name="end")
    if last <= first:
        raise SchemaError(f"the period is empty: start {first} is not before end {last}. "
                          f"Periods are half-open [start, end).")
    return first, last


def _driver_counts(source: Any, first: date, last: date) -> ibis.Table:
    acts = table_of(source, "activities")
    acts = acts.filter(acts.date.cast("date") >= first, acts.date.cast("date") < last)
    return acts.group_by(["customer_id", "activity"]).aggregate(
        count=acts["count"].cast("float64").sum())


def _rates(source: Any, first: date, last: date) -> ibis.Table:
    pools = table_of(source, "cost_pools")
    pools = pools.filter(pools.period.cast("date") >= first, pools.period.cast("date") < last)
    pooled = pools.group_by("activity").aggregate(total_cost=pools.total_cost.sum())
    counts = _driver_counts(source, first, last)
    drivers = counts.group_by("activity").aggregate(driver_count=counts["count"].sum())
    joined = pooled.outer_join(drivers, "activity")
    activity = ibis.coalesce(joined.activity, joined.activity_right)
    count = joined.driver_count.fill_null(0.0)
    return joined.select(
        activity=activity, total_cost=joined.total_cost.fill_null(0.0), driver_count=count,
        rate=ibis.ifelse(count > 0, joined.total_cost.fill_null(0.0) / count, ibis.null("float64")))


def driver_rates(source: Any, start: DateLike, end: DateLike) -> pd.DataFrame:
    """Cost per driver unit of each activity in ``[start, end)``.

    Returns ``activity, total_cost, driver_count, rate``; ``rate`` is missing for a pool
    without drivers (its cost cannot be assigned), and 0 for drivers without a pool.

    Examples
    --------
    >>> pools = pd.DataFrame({"activity": ["delivery"], "period": pd.to_datetime(["2024-01-01"]),
    ...                       "total_cost": [300.0]})
    >>> acts = pd.DataFrame({"customer_id": ["a", "b"], "activity": ["delivery"] * 2,
    ...     "date": pd.to_datetime(["2024-01-05", "2024-01-09"]), "count": [1.0, 2.0]})
    >>> driver_rates({"cost_pools": pools, "activities": acts}, "2024-01-01", "2024-02-01")
       activity  total_cost  driver_count   rate
    0  delivery       300.0           3.0  100.0
    """
    first, last = _window(start, end)
    return _rates(source, first, last).order_by("activity").to_pandas()


def cost_to_serve_table(source: Any, start: DateLike, end: DateLike, *,
                        detail: bool = False) -> ibis.Table:
    """Engine expression behind :func:`cost_to_serve`."""
    first, last = _window(start, end)
    counts = _driver_counts(source, first, last)
    rates = _rates(source, first, last)
    joined = counts.left_join(rates.select("activity", "rate"), "activity")
    lines = joined.select("customer_id", "activity", "count",
                          rate=joined.rate.fill_null(0.0),
                          cost=joined["count"] * joined.rate.fill_null(0.0))
    if detail:
        return lines
    return lines.group_by("customer_id").aggregate(cost_to_serve=lines.cost.sum())


def cost_to_serve(source: Any, start: DateLike, end: DateLike, *,
                  detail: bool = False) -> pd.DataFrame:
    """Activity-based cost of serving each customer in ``[start, end)``.

    Parameters
    ----------
    source
        A Workspace (its ``activities`` and ``cost_pools``) or a dict of those two frames.
    detail
        One row per customer and activity (``count, rate, cost``) instead of totals.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, cost_to_serve`` (or the detail rows), sorted by ``customer_id``.

    Examples
    --------
    >>> pools = pd.DataFrame({"activity": ["visit"], "period": pd.to_datetime(["2024-01-01"]),
    ...                       "total_cost": [500.0]})
    >>> acts = pd.DataFrame({"customer_id": ["a", "b"], "activity": ["visit", "visit"],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-01-09"]), "count": [4.0, 1.0]})
    >>> cost_to_serve({"cost_pools": pools, "activities": acts}, "2024-01-01", "2024-02-01")
      customer_id  cost_to_serve
    0           a          400.0
    1           b          100.0
    """
    table = cost_to_serve_table(source, start, end, detail=detail)
    keys = ["customer_id", "activity"] if detail else ["customer_id"]
    return table.order_by(keys).to_pandas()
