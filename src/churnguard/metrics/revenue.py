"""Revenue movements (收入变动): how revenue got from one period to the next.

Per customer, ``previous`` is the revenue of the preceding period and ``current`` that of the
period. Each customer with either falls in exactly one movement, and the movement amount is
``current − previous``:

- ``new``: the customer's first purchase ever is in the period;
- ``reactivated``: not new, ``previous <= 0 < current`` (came back);
- ``churned``: ``previous > 0 >= current`` (stopped buying; negative);
- ``expansion``: otherwise ``current > previous``;
- ``contraction``: otherwise ``current < previous`` (negative).

So ``revenue_start + new + reactivated + expansion + contraction + churned = revenue_end``
in every row. Revenue movements look at purchases period by period; the logo churn rate and the
revenue churn rate of the churn definition are given alongside (``churn_rate``,
``revenue_churn_rate`` from :func:`~churnguard.metrics.loyalty_kpis`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from churnguard.churn import ChurnDefinition, Inactivity, timeline_before, to_date
from churnguard.metrics._engine import (
    current_and_previous,
    customer_period_revenue,
    data_span,
    tally,
)
from churnguard.metrics.loyalty import loyalty_kpis
from churnguard.metrics.periods import Periods

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

MOVEMENTS = ("new", "reactivated", "expansion", "contraction", "churned")


def revenue_movements(
    ws: Workspace,
    start: date | datetime | str,
    end: date | datetime | str,
    *,
    freq: str | None = "month",
    churn: ChurnDefinition = Inactivity(180),  # noqa: B008 - frozen, immutable
    include_rates: bool = True,
    history_start: date | datetime | str | None = None,
    data_end: date | datetime | str | None = None,
) -> pd.DataFrame:
    """Revenue bridge per period, with logo churn and revenue churn side by side.

    ``include_rates=False`` leaves out the two rate columns (they cost a
    :func:`~churnguard.metrics.loyalty_kpis` run, which ``history_start`` is passed to: the
    rates are null in its warm-up periods). Like it, the last period stops at ``data_end``
    (default: the day after the last order), and a partial last period's ``revenue_start`` is the
    same number of days at the start of the period before.

    Returns
    -------
    DataFrame
        ``period_start, period_end, revenue_start`` (preceding period), ``new, reactivated,
        expansion, contraction, churned`` (amounts; the last two negative), ``revenue_end``,
        ``new_customers, reactivated_customers, expanding_customers,
        contracting_customers, churned_customers`` (how many customers in each movement),
        ``churn_rate`` (logo churn) and ``revenue_churn_rate``.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from churnguard import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/shop")
    >>> _ = ws.load("customers", pd.DataFrame({"customer_id": ["a", "b"]}))
    >>> _ = ws.load("orders", pd.DataFrame({"order_id": ["1", "2", "3"],
    ...     "customer_id": ["a", "a", "b"], "amount": [10.0, 30.0, 20.0],
    ...     "order_date": ["2024-01-05", "2024-02-10", "2024-02-20"]}))
    >>> m = revenue_movements(ws, "2024-02-01", "2024-03-01")
    >>> m[["revenue_start", "new", "expansion", "revenue_end"]].values.tolist()
    [[10.0, 20.0, 20.0, 50.0]]
    """
    Periods.make(start, end, freq=freq)   # the arguments' errors before any query
    last = data_span(ws)[1] if data_end is None else to_date(data_end)
    periods = Periods.make(start, end, freq=freq, data_end=last)
    moves = current_and_previous(customer_period_revenue(ws, periods), periods)
    days = timeline_before(ws, periods.bounds[-1])
    firsts = days.filter(days.previous_day.isnull())
    firsts = firsts.select("customer_id", first_period=periods.index(firsts.day))
    moves = moves.left_join(firsts, "customer_id")
    change = moves.current - moves.previous
    kind = ibis.cases(
        (moves.first_period == moves.period, "new"),
        ((moves.previous <= 0) & (moves.current > 0), "reactivated"),
        ((moves.previous > 0) & (moves.current <= 0), "churned"),
        (change > 0, "expansion"),
        (change < 0, "contraction"),
        else_="none",
    )
    moves = moves.select(idx=moves.period, kind=kind, change=change, current=moves.current,
                         previous=moves.previous).cache()
    parts = {"revenue_end": moves.select("idx", weight=moves.current),
             "revenue_start": moves.select("idx", weight=moves.previous)}
    for name in MOVEMENTS:
        chosen = moves.filter(moves.kind == name)
        parts[name] = chosen.select("idx", weight=chosen.change)
        parts[f"count_{name}"] = chosen.select("idx", weight=ibis.literal(1.0))
    sums = tally(parts, periods.n)
    frame = periods.frame().drop(columns="period")
    frame["revenue_start"] = sums["revenue_start"]
    for name in MOVEMENTS:
        frame[name] = sums[name]
    frame["revenue_end"] = sums["revenue_end"]
    labels = {"new": "new_customers", "reactivated": "reactivated_customers",
              "expansion": "expanding_customers", "contraction": "contracting_customers",
              "churned": "churned_customers"}
    for name, column in labels.items():
        frame[column] = np.round(sums[f"count_{name}"]).astype("int64")
    if not include_rates:
        return frame
    kpis = loyalty_kpis(ws, start, end, freq=freq, churn=churn, history_start=history_start,
                        data_end=last)
    frame["churn_rate"] = kpis["churn_rate"].to_numpy()
    frame["revenue_churn_rate"] = kpis["revenue_churn_rate"].to_numpy()
    return frame
