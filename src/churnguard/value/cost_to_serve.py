"""Activity-based cost-to-serve (作业成本法) and true customer profitability.

Each activity (order handling, deliveries, sales visits, support tickets, returns, custom
set-ups…) has a cost pool per period (``cost_pools.period`` is the first day of the period) and
a driver count per customer (``activities``). A pool period runs until the next period in the
pool calendar (the last one for as long as the gap before it). The driver rate of an activity
in a period is its pooled cost divided by all its drivers counted in that period; a customer's
cost-to-serve over ``[start, end)`` is Σ count × rate over the activities dated in the window.
When the window is made of whole pool periods this is exactly "pool cost / total driver
count" for the window. Drivers outside every pool period cost nothing; a pool without
drivers stays unassigned (see :func:`driver_rates`). Everything runs in the engine.
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


def _pool_periods(source: Any) -> ibis.Table:
    """``activity, period, period_end, total_cost``: one row per pool period."""
    pools = table_of(source, "cost_pools")
    pools = pools.select("activity", period=pools.period.cast("date"),
                         total_cost=pools.total_cost.cast("float64"))
    calendar = pools.select("period").distinct()
    order = ibis.window(order_by=calendar.period)
    calendar = calendar.mutate(following=calendar.period.lead().over(order),
                               previous=calendar.period.lag().over(order))
    months = (calendar.period.year() * 12 + calendar.period.month()) \
        - (calendar.previous.year() * 12 + calendar.previous.month())
    same_day = calendar.period.day() == calendar.previous.day()
    guess = ibis.ifelse(same_day & (months > 0), calendar.period + months.as_interval("M"),
                        calendar.period + calendar.period.delta(calendar.previous, unit="day")
                        .as_interval("D"))
    calendar = calendar.select("period", period_end=ibis.coalesce(calendar.following,
                                                                  guess.cast("date")))
    pooled = pools.group_by(["activity", "period"]).aggregate(total_cost=pools.total_cost.sum())
    return pooled.inner_join(calendar, "period")


def _activities(source: Any) -> ibis.Table:
    acts = table_of(source, "activities")
    return acts.select(customer_id=acts.customer_id.cast("string"), activity=acts.activity,
                       date=acts.date.cast("date"), count=acts["count"].cast("float64"))


def _assign(acts: ibis.Table, periods: ibis.Table) -> ibis.Table:
    """Activities with the pool period that contains their date (null when none does)."""
    joined = acts.left_join(periods, [
        acts.activity == periods.activity, acts.date >= periods.period,
        periods.period_end.isnull() | (acts.date < periods.period_end)])
    return joined.select("customer_id", "activity", "date", "count", "period")


def _rates(source: Any) -> ibis.Table:
    periods = _pool_periods(source)
    assigned = _assign(_activities(source), periods)
    drivers = assigned.filter(assigned.period.notnull()).group_by(["activity", "period"]) \
        .aggregate(driver_count=assigned["count"].sum())
    joined = periods.left_join(drivers, ["activity", "period"])
    count = joined.driver_count.fill_null(0.0)
    return joined.select(
        "activity", "period", "period_end", "total_cost", driver_count=count,
        rate=ibis.ifelse(count > 0, joined.total_cost / count, ibis.null("float64")))


def driver_rates(source: Any, start: DateLike, end: DateLike) -> pd.DataFrame:
    """Cost per driver unit of each activity and pool period overlapping ``[start, end)``.

    Returns ``activity, period, period_end, total_cost, driver_count, rate``; ``rate`` is
    missing for a pool without drivers (its cost cannot be assigned to anyone).

    Examples
    --------
    >>> pools = pd.DataFrame({"activity": ["delivery"], "period": pd.to_datetime(["2024-01-01"]),
    ...                       "total_cost": [300.0]})
    >>> acts = pd.DataFrame({"customer_id": ["a", "b"], "activity": ["delivery"] * 2,
    ...     "date": pd.to_datetime(["2024-01-05", "2024-01-09"]), "count": [1.0, 2.0]})
    >>> rates = driver_rates({"cost_pools": pools, "activities": acts}, "2024-01-01", "2024-02-01")
    >>> rates[["activity", "total_cost", "driver_count", "rate"]].values.tolist()
    [['delivery', 300.0, 3.0, 100.0]]
    """
    first, last = _window(start, end)
    rates = _rates(source)
    overlapping = rates.filter(rates.period < last,
                               rates.period_end.isnull() | (rates.period_end > first))
    return overlapping.order_by(["activity", "period"]).to_pandas()


def cost_to_serve_table(source: Any, start: DateLike, end: DateLike, *,
                        detail: bool = False) -> ibis.Table:
    """Engine expression behind :func:`cost_to_serve`."""
    first, last = _window(start, end)
    acts = _activities(source)
    acts = acts.filter(acts.date >= first, acts.date < last)
    assigned = _assign(acts, _pool_periods(source))
    rates = _rates(source).select("activity", "period", "rate")
    priced = assigned.left_join(rates, ["activity", "period"])
    lines = priced.select("customer_id", "activity", "count",
                          cost=priced["count"] * priced.rate.fill_null(0.0))
    if detail:
        per = lines.group_by(["customer_id", "activity"]).aggregate(
            count=lines["count"].sum(), cost=lines.cost.sum())
        return per.select("customer_id", "activity", "count",
                          rate=ibis.ifelse(per["count"] > 0, per.cost / per["count"], 0.0),
                          cost=per.cost)
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
