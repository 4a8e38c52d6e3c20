"""Share of wallet (钱包份额 / 客户份额) from the optional ``wallet`` survey table.

A ``wallet`` row says: in the wallet period that starts on ``period``, customer ``customer_id``
spent ``category_spend`` on the whole category (with us and with competitors). The wallet period
length is read from the table: the smallest gap between its distinct ``period`` dates (a year,
a quarter or a month; a year when there is only one date).

For a reporting period ``k``, every wallet row whose wallet period overlaps ``k`` contributes its
``category_spend`` and our revenue from that customer over the same wallet period (up to the
report's ``end``): ``share_of_wallet = Σ our revenue / Σ category_spend``. A survey measures a
whole wallet period, so the share is never pro-rated (that would invent seasonality): with
yearly surveys every month of a year shows that year's share of wallet.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from churnguard.churn import midnight
from churnguard.metrics._engine import sums_by_period
from churnguard.metrics.periods import Periods

if TYPE_CHECKING:
    from churnguard.workspace import Workspace


def wallet_span_months(periods: list[date]) -> int:
    """Length in months of a wallet period, from the distinct survey dates.

    Examples
    --------
    >>> from datetime import date
    >>> wallet_span_months([date(2023, 1, 1), date(2024, 1, 1)])
    12
    >>> wallet_span_months([date(2024, 1, 1), date(2024, 4, 1), date(2024, 7, 1)])
    3
    """
    ordered = sorted(set(periods))
    if len(ordered) < 2:
        return 12
    gap = min((b - a).days for a, b in zip(ordered, ordered[1:], strict=False))
    if gap >= 360:
        return 12
    if gap >= 88:
        return 3
    return 1


def _overlaps(wallet_periods: list[date], periods: Periods) -> pd.DataFrame:
    """Each (wallet period, reporting period) pair that overlaps, with the wallet window
    ``[period, min(period + span, end))`` whose revenue counts."""
    months = wallet_span_months(wallet_periods)
    rows = []
    for first in sorted(set(wallet_periods)):
        last = (pd.Timestamp(first) + pd.DateOffset(months=months)).date()
        for k, (start, end) in enumerate(zip(periods.starts, periods.ends, strict=True)):
            lo, hi = max(first, start), min(last, end)
            if lo < hi:
                rows.append({"period": first, "idx": k, "window_start": midnight(first),
                             "window_end": midnight(min(last, periods.bounds[-1]))})
    columns = ["period", "idx", "window_start", "window_end"]
    return pd.DataFrame(rows, columns=columns)


def wallet_sums(ws: Workspace, periods: Periods, size: int) -> dict[str, np.ndarray]:
    """``wallet_revenue`` and ``wallet_spend`` per period index ``0 … size−1`` (zeros without
    a wallet table)."""
    empty = {"wallet_revenue": np.zeros(size), "wallet_spend": np.zeros(size)}
    if not ws.has_table("wallet"):
        return empty
    wallet = ws.table("wallet")
    dates = [pd.Timestamp(d).date() for d in wallet.period.as_table().distinct()
             .to_pandas()["period"]]
    overlaps = _overlaps(dates, periods)
    if overlaps.empty:
        return empty
    overlaps["period"] = pd.to_datetime(overlaps["period"]).dt.date
    windows = ibis.memtable(overlaps[["period", "window_start", "window_end"]].drop_duplicates())
    pairs = ibis.memtable(overlaps[["period", "idx"]])
    rows = wallet.inner_join(windows, "period")
    orders = ws.table("orders")
    orders = orders.filter(orders.order_date >= overlaps["window_start"].min().to_pydatetime(),
                           orders.order_date < midnight(periods.bounds[-1]))
    # each order into the (few) wallet windows it falls in, then one sum per customer and window
    ours = orders.inner_join(windows, [orders.order_date >= windows.window_start,
                                       orders.order_date < windows.window_end])
    ours = ours.group_by(["customer_id", "period"]).aggregate(ours_revenue=ours.amount.sum())
    rows = rows.left_join(ours, ["customer_id", "period"])
    rows = rows.select(rows.period, spend=rows.category_spend,
                       revenue=rows.ours_revenue.fill_null(0.0))
    rows = rows.inner_join(pairs, "period")
    return sums_by_period(rows, rows.idx, size, wallet_revenue=rows.revenue,
                          wallet_spend=rows.spend)
