"""RFM summaries in the BTYD convention, computed in the warehouse engine.

One purchase occasion is one customer-day: orders on the same day are summed, so two orders
on 3 March count as one purchase. Only orders strictly before ``as_of`` are used, and the
observation ends on the last day before it. For customer *i* with purchase days
``d_1 < … < d_n`` and observation end ``E = as_of − 1 day``:

- ``frequency`` = n − 1 (repeat purchases; 0 for one-time buyers),
- ``recency``   = (d_n − d_1) in time units (0 for one-time buyers),
- ``T``         = (E − d_1) in time units,
- ``monetary``  = mean value of the repeat purchases d_2 … d_n (0 for one-time buyers).

This equals lifetimes' ``summary_data_from_transaction_data(..., observation_period_end=E,
freq="D", freq_multiplier=…)`` and PyMC-Marketing's ``rfm_summary(..., time_unit="D",
time_scaler=…)``: ``time_unit="W"`` divides days by 7, ``"M"`` by 365.25/12. Orders with a
negative amount (returns) are not purchase occasions and are left out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import ibis
import pandas as pd

from churnguard.errors import SchemaError
from churnguard.value._base import DAYS_PER_UNIT
from churnguard.value._data import day_before, require, table_of, to_date

RFM_COLUMNS = ["customer_id", "frequency", "recency", "T", "monetary"]


def purchase_days(source: Any, *, as_of: date | datetime | str,
                  customer_id_col: str = "customer_id", date_col: str = "order_date",
                  amount_col: str | None = "amount") -> ibis.Table:
    """One row per customer and purchase day before ``as_of``: ``customer_id, day, amount``."""
    orders = table_of(source, "orders")
    require(orders, {"customer_id_col": customer_id_col, "date_col": date_col,
                     "amount_col": amount_col}, what="rfm_summary")
    cutoff = to_date(as_of)
    amount = orders[amount_col].cast("float64") if amount_col else ibis.literal(0.0)
    rows = orders.select(customer_id=orders[customer_id_col].cast("string"),
                         day=orders[date_col].cast("date"), amount=amount)
    rows = rows.filter(rows.day < cutoff, rows.amount.fill_null(0) >= 0)
    return rows.group_by(["customer_id", "day"]).aggregate(amount=rows.amount.sum())


def rfm_table(source: Any, *, as_of: date | datetime | str, time_unit: str = "D",
              customer_id_col: str = "customer_id", date_col: str = "order_date",
              amount_col: str | None = "amount", spend: bool = False) -> ibis.Table:
    """The RFM summary as an Ibis expression, with the extra columns ``purchases``
    (occasions), ``revenue`` (their total), ``first_purchase``, ``last_purchase`` and
    ``days_since_last``. Nothing runs until it is executed.

    With ``spend=True`` also the :func:`~churnguard.value.spend_summary` statistics of the
    purchases with a positive value, from the same pass over the orders:
    ``spend_purchases, mean_log_spend, log_spend_ss, mean_spend``."""
    if time_unit not in DAYS_PER_UNIT:
        raise SchemaError(f"time_unit={time_unit!r} is not one of D, W, M.")
    days = purchase_days(source, as_of=as_of, customer_id_col=customer_id_col,
                         date_col=date_col, amount_col=amount_col)
    end = ibis.date(day_before(to_date(as_of)))
    extra = {}
    if spend:
        positive = days.amount > 0
        log_amount = ibis.ifelse(positive, days.amount, ibis.null()).ln()
        extra = {"spend_purchases": days.amount.count(where=positive),
                 "mean_log_spend": log_amount.mean(),
                 "log_spend_ss": (log_amount.var(how="pop")
                                  * days.amount.count(where=positive)).fill_null(0.0),
                 "mean_spend": days.amount.mean(where=positive)}
    per = days.group_by("customer_id").aggregate(
        first_purchase=days.day.min(), last_purchase=days.day.max(),
        purchases=days.day.count(), revenue=days.amount.sum(),
        first_amount=days.amount.argmin(days.day), **extra)
    scale = DAYS_PER_UNIT[time_unit]
    repeats = per.purchases - 1
    return per.select(
        "customer_id",
        frequency=repeats.cast("float64"),
        recency=per.last_purchase.delta(per.first_purchase, unit="day").cast("float64") / scale,
        T=end.delta(per.first_purchase, unit="day").cast("float64") / scale,
        monetary=ibis.ifelse(repeats > 0,
                             (per.revenue - per.first_amount) / repeats.cast("float64"), 0.0),
        purchases=per.purchases, revenue=per.revenue, first_purchase=per.first_purchase,
        last_purchase=per.last_purchase,
        days_since_last=end.delta(per.last_purchase, unit="day"),
        **{name: per[name] for name in extra},
    )


def rfm_summary(source: Any, *, as_of: date | datetime | str, time_unit: str = "D",
                customer_id_col: str = "customer_id", date_col: str = "order_date",
                amount_col: str | None = "amount") -> pd.DataFrame:
    """Per-customer ``frequency``, ``recency``, ``T`` and ``monetary`` (BTYD convention).

    Parameters
    ----------
    source
        A Workspace (its ``orders``), an ``ibis.Table`` or a pandas DataFrame of orders.
    as_of
        Only orders strictly before this date count; the observation ends the day before.
    time_unit
        Unit of ``recency`` and ``T``: ``"D"`` days, ``"W"`` weeks (days / 7), ``"M"`` months
        (days / 30.4375). Purchases are always counted per day.
    customer_id_col, date_col, amount_col
        Column names in ``source``; ``amount_col=None`` gives ``monetary`` 0.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, frequency, recency, T, monetary`` sorted by ``customer_id``; customers
        without a purchase before ``as_of`` are absent. ``attrs["time_unit"]`` records the unit.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...     "order_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-11", "2024-01-21"]),
    ...     "amount": [10.0, 5.0, 30.0, 8.0]})
    >>> rfm_summary(orders, as_of="2024-02-01").to_dict("records")[0]
    {'customer_id': 'a', 'frequency': 1.0, 'recency': 10.0, 'T': 30.0, 'monetary': 30.0}
    """
    table = rfm_table(source, as_of=as_of, time_unit=time_unit,
                      customer_id_col=customer_id_col, date_col=date_col,
                      amount_col=amount_col)
    frame = table.select(RFM_COLUMNS).order_by("customer_id").to_pandas()
    frame = frame.astype({"frequency": "float64", "recency": "float64", "T": "float64",
                          "monetary": "float64"})
    frame.attrs.update(time_unit=time_unit, as_of=str(to_date(as_of)))
    return frame.reset_index(drop=True)
