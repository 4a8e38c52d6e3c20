"""Trailing-twelve-month revenue retention (滚动十二个月收入留存): NRR and GRR that mean something
for a business without subscriptions.

For a period ending at ``e`` the *base* is every customer with positive net revenue in the twelve
months before ``e − 12 months`` (``[e − 24m, e − 12m)``), and

- ``nrr`` = their net revenue in the twelve months to ``e`` (``[e − 12m, e)``) ÷ their revenue
  in the base year;
- ``grr`` = the same with each customer's later revenue capped at their base-year revenue (and
  at 0 from below): what was kept, without expansion.

For yearly periods the two years are the period and the year before it; for months and
quarters the figure rolls with the period end. A period whose base year starts before the
history start is NaN (part of the base year is not in the data). A partial last period ends at
the end of the data, so both years have the same length.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from churnguard.churn import midnight
from churnguard.metrics._engine import ratio, sums_by_period
from churnguard.metrics.periods import Periods

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

YEAR_MONTHS = 12


def _years_before(day: date, years: int) -> date:
    return (pd.Timestamp(day) - pd.DateOffset(months=YEAR_MONTHS * years)).date()


def ttm_retention(ws: Workspace, periods: Periods,
                  history_start: date | None) -> dict[str, np.ndarray]:
    """``grr`` and ``nrr`` (trailing twelve months) per period, as arrays of ``periods.n``."""
    ends = periods.ends
    windows = pd.DataFrame({
        "k": np.arange(periods.n, dtype="int64"),
        "base_from": [midnight(_years_before(e, 2)) for e in ends],
        "later_from": [midnight(_years_before(e, 1)) for e in ends],
        "later_to": [midnight(e) for e in ends],
    })
    orders = ws.table("orders")
    first, last = windows["base_from"].min(), windows["later_to"].max()
    orders = orders.filter(orders.order_date >= first, orders.order_date < last)
    daily = orders.group_by(["customer_id", orders.order_date.truncate("D").name("day")]
                            ).aggregate(revenue=orders.amount.sum())
    spans = ibis.memtable(windows)
    joined = daily.inner_join(spans, [daily.day >= spans.base_from, daily.day < spans.later_to])
    later = joined.day >= joined.later_from
    per_customer = joined.group_by(["customer_id", "k"]).aggregate(
        base=ibis.ifelse(later, 0.0, joined.revenue).sum(),
        later=ibis.ifelse(later, joined.revenue, 0.0).sum())
    base = per_customer.filter(per_customer.base > 0)
    kept = ibis.greatest(ibis.literal(0.0), ibis.least(base.later, base.base))
    sums = sums_by_period(base, base.k, periods.n, base=base.base, later=base.later, kept=kept)
    known = np.ones(periods.n, dtype=bool) if history_start is None else np.array(
        [_years_before(e, 2) >= history_start for e in ends])
    return {
        "grr": np.where(known, ratio(sums["kept"], sums["base"]), np.nan),
        "nrr": np.where(known, ratio(sums["later"], sums["base"]), np.nan),
    }
