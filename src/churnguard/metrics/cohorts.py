"""Cohort triangles (同期群留存): cohorts by the period of the first purchase × periods since.

Cohorts are calendar months, quarters or years. Period ``0`` is the cohort's own period, ``j`` the
``j``-th period after it. A cell is shown only when its period ended before ``as_of``.

``measure``:

- ``"customers"``: share of the cohort still a customer (active under the churn definition) at
  the end of period ``j``;
- ``"buyers"``: share of the cohort that bought in period ``j`` (the classic activity triangle);
- ``"revenue"``: the cohort's revenue in period ``j`` over its revenue in period ``0``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from churnguard.churn import (
    ChurnDefinition,
    Inactivity,
    cached_events,
    midnight,
    spells_from_events,
    timeline_before,
    to_date,
)
from churnguard.errors import ConfigError

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

UNITS = {"month": 12, "quarter": 4, "year": 1}
MEASURES = ("customers", "buyers", "revenue")


def unit_index(value: ir.Value, cohort: str) -> ir.IntegerValue:
    """Calendar period number of a date: months (or quarters, years) since year 0."""
    year = value.year().cast("int64")
    if cohort == "year":
        return year
    month = value.month().cast("int64") - 1
    if cohort == "quarter":
        return year * 4 + (month // 3)
    return year * 12 + month


def unit_start(index: int, cohort: str) -> pd.Timestamp:
    """First day of calendar period ``index`` (inverse of :func:`unit_index`)."""
    per_year = UNITS[cohort]
    year, part = divmod(int(index), per_year)
    return pd.Timestamp(year=year, month=part * (12 // per_year) + 1, day=1)


def _python_index(day: date, cohort: str) -> int:
    if cohort == "year":
        return day.year
    if cohort == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    return day.year * 12 + day.month - 1


def cohort_retention(
    ws: Workspace,
    *,
    as_of: date | datetime | str,
    cohort: str = "month",
    churn: ChurnDefinition = Inactivity(180),  # noqa: B008 - frozen, immutable
    measure: str = "customers",
) -> pd.DataFrame:
    """The cohort triangle as of ``as_of`` (only data before it).

    Returns
    -------
    DataFrame
        ``cohort`` (first day of the cohort period), ``cohort_size`` (customers whose first
        purchase fell in it), then one column per period since the first purchase (``0``,
        ``1``, …) holding the measure as a fraction; NaN where the period has not ended.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from churnguard import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/shop")
    >>> _ = ws.load("customers", pd.DataFrame({"customer_id": ["a", "b"]}))
    >>> _ = ws.load("orders", pd.DataFrame({"order_id": ["1", "2", "3"],
    ...     "customer_id": ["a", "b", "a"], "amount": [10.0, 20.0, 5.0],
    ...     "order_date": ["2024-01-05", "2024-01-20", "2024-02-10"]}))
    >>> t = cohort_retention(ws, as_of="2024-04-01", measure="buyers")
    >>> int(t.cohort_size[0]), t[[0, 1, 2]].iloc[0].tolist()
    (2, [1.0, 0.5, 0.0])
    """
    if cohort not in UNITS:
        raise ConfigError(f"cohort {cohort!r} is not one of month, quarter, year.")
    if measure not in MEASURES:
        raise ConfigError(f"measure {measure!r} is not one of customers, buyers, revenue.")
    as_of = to_date(as_of)
    last = _python_index(as_of, cohort) - 1        # the last period that has ended
    days = timeline_before(ws, as_of)
    firsts = days.filter(days.previous_day.isnull())
    firsts = firsts.select("customer_id", cohort=unit_index(firsts.day, cohort))
    sizes = firsts.group_by("cohort").aggregate(size=firsts.count()).to_pandas()
    if measure == "customers":
        cells = _active_cells(ws, firsts, as_of, cohort, churn, last)
    elif measure == "buyers":
        cells = _buyer_cells(days, cohort)
    else:
        cells = _revenue_cells(ws, firsts, as_of, cohort)
    return _triangle(sizes, cells, last, measure, cohort)


def _active_cells(ws: Workspace, firsts: ir.Table, as_of: date, cohort: str,
                  churn: ChurnDefinition, last: int) -> ir.Table:
    """Difference array over offsets: a spell covers the end of periods ``lo … hi``."""
    spells = spells_from_events(cached_events(ws, churn, as_of))
    spells = spells.inner_join(firsts, "customer_id")
    lo = unit_index(spells.spell_start, cohort) + 1 - spells.cohort - 1
    hi = ibis.ifelse(spells.churn_date.isnull(), ibis.literal(last + 1),
                     unit_index(spells.churn_date, cohort)) - spells.cohort - 1
    spells = spells.select("cohort", lo=lo, hi=hi)
    spells = spells.filter(spells.lo <= spells.hi)
    plus = spells.select("cohort", offset=spells.lo, weight=ibis.literal(1.0))
    minus = spells.select("cohort", offset=spells.hi + 1, weight=ibis.literal(-1.0))
    return ibis.union(plus, minus, distinct=False)


def _buyer_cells(days: ir.Table, cohort: str) -> ir.Table:
    bought = days.select("customer_id", unit=unit_index(days.day, cohort),
                         cohort=unit_index(days.first_day, cohort)).distinct()
    return bought.select("cohort", offset=bought.unit - bought.cohort, weight=ibis.literal(1.0))


def _revenue_cells(ws: Workspace, firsts: ir.Table, as_of: date, cohort: str) -> ir.Table:
    orders = ws.table("orders")
    orders = orders.filter(orders.order_date < midnight(as_of))
    orders = orders.inner_join(firsts, "customer_id")
    return orders.select("cohort", offset=unit_index(orders.order_date, cohort) - orders.cohort,
                         weight=orders.amount)


def _triangle(sizes: pd.DataFrame, cells: ir.Table, last: int, measure: str,
              cohort: str) -> pd.DataFrame:
    sums = cells.group_by(["cohort", "offset"]).aggregate(value=cells.weight.sum()).to_pandas()
    sizes = sizes[sizes["cohort"] <= last].sort_values("cohort").reset_index(drop=True)
    cohorts = sizes["cohort"].to_numpy(dtype="int64")
    width = int(last - cohorts.min() + 1) if len(cohorts) else 0
    grid = np.zeros((len(cohorts), width + 1))
    sums = sums[sums["cohort"].isin(cohorts) & sums["offset"].between(0, width)]
    rows = np.searchsorted(cohorts, sums["cohort"].to_numpy(dtype="int64"))
    np.add.at(grid, (rows, sums["offset"].to_numpy(dtype="int64")),
              sums["value"].to_numpy(dtype=float))
    if measure == "customers":
        grid = np.cumsum(grid, axis=1)
    grid = grid[:, :width]
    base = grid[:, :1] if measure == "revenue" else sizes["size"].to_numpy(float)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(base != 0, grid / np.where(base == 0, 1, base), np.nan)
    ended = (cohorts[:, None] + np.arange(width)[None, :]) <= last
    shares = np.where(ended, shares, np.nan)
    frame = pd.DataFrame(shares, columns=list(range(width)))
    frame.insert(0, "cohort_size", sizes["size"].to_numpy(dtype="int64"))
    frame.insert(0, "cohort", pd.to_datetime([unit_start(c, cohort) for c in cohorts]))
    return frame
