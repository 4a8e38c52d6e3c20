"""True customer profitability: revenue − cost of goods − cost-to-serve, and the whale curve."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import ibis
import pandas as pd

from churnguard.errors import SchemaError
from churnguard.value._data import table_of
from churnguard.value.cost_to_serve import _window, cost_to_serve_table

DateLike = date | datetime | str

PROFIT_COLUMNS = ["customer_id", "revenue", "cost_of_goods", "gross_profit", "cost_to_serve",
                  "profit", "profit_rank", "cumulative_profit", "cumulative_profit_share"]


def _revenue(source: Any, first: date, last: date) -> ibis.Table:
    orders = table_of(source, "orders")
    stamp = orders.order_date.cast("timestamp")
    orders = orders.filter(stamp >= ibis.timestamp(datetime.combine(first, datetime.min.time())),
                           stamp < ibis.timestamp(datetime.combine(last, datetime.min.time())))
    goods = orders.cost.cast("float64").fill_null(0.0) if "cost" in orders.columns \
        else ibis.literal(0.0, type="float64")
    orders = orders.mutate(goods=goods)
    return orders.group_by("customer_id").aggregate(
        revenue=orders.amount.cast("float64").sum(), cost_of_goods=orders.goods.sum())


def profitability_table(source: Any, start: DateLike, end: DateLike) -> ibis.Table:
    """Engine expression behind :func:`profitability`."""
    first, last = _window(start, end)
    revenue = _revenue(source, first, last)
    serve = cost_to_serve_table(source, first, last)
    joined = revenue.outer_join(serve, "customer_id")
    base = joined.select(
        customer_id=ibis.coalesce(joined.customer_id, joined.customer_id_right),
        revenue=joined.revenue.fill_null(0.0), cost_of_goods=joined.cost_of_goods.fill_null(0.0),
        cost_to_serve=joined.cost_to_serve.fill_null(0.0))
    base = base.mutate(gross_profit=base.revenue - base.cost_of_goods)
    base = base.mutate(profit=base.gross_profit - base.cost_to_serve)
    order = [ibis.desc(base.profit), base.customer_id]
    running = ibis.window(order_by=order, rows=(None, 0))
    base = base.mutate(profit_rank=ibis.row_number().over(order_by=order) + 1,
                       cumulative_profit=base.profit.sum().over(running),
                       total_profit=base.profit.sum().over(ibis.window()))
    share = ibis.ifelse(base.total_profit > 0, base.cumulative_profit / base.total_profit,
                        ibis.null("float64"))
    return base.mutate(cumulative_profit_share=share).select(PROFIT_COLUMNS)


def profitability(source: Any, start: DateLike, end: DateLike) -> pd.DataFrame:
    """Profit of each customer in ``[start, end)`` after goods and cost-to-serve.

    Parameters
    ----------
    source
        A Workspace (``orders``, ``activities``, ``cost_pools``) or a dict of those frames.
    start, end
        The half-open period; cost pools whose ``period`` falls in it are spread over the
        drivers counted in it.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, revenue, cost_of_goods, gross_profit, cost_to_serve, profit,
        profit_rank, cumulative_profit, cumulative_profit_share`` from the most to the least
        profitable customer; the last two trace the whale curve (the share peaks above 1
        when some customers lose money; it is missing when the total profit is not positive).

    Examples
    --------
    >>> orders = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "b"],
    ...     "order_date": pd.to_datetime(["2024-01-03", "2024-01-04"]),
    ...     "amount": [1000.0, 200.0], "cost": [600.0, 120.0]})
    >>> pools = pd.DataFrame({"activity": ["visit"], "period": pd.to_datetime(["2024-01-01"]),
    ...                       "total_cost": [500.0]})
    >>> acts = pd.DataFrame({"customer_id": ["a", "b"], "activity": ["visit", "visit"],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-01-09"]), "count": [1.0, 4.0]})
    >>> frame = profitability({"orders": orders, "cost_pools": pools, "activities": acts},
    ...                       "2024-01-01", "2024-02-01")
    >>> frame[["customer_id", "profit"]].values.tolist()
    [['a', 300.0], ['b', -320.0]]
    """
    frame = profitability_table(source, start, end).order_by("profit_rank").to_pandas()
    return frame.astype({"profit_rank": "int64"})


def whale_curve(profits: pd.DataFrame, *, points: int = 101) -> pd.DataFrame:
    """The whale curve of a :func:`profitability` frame at ``points`` customer shares.

    Returns ``customer_share`` (0–1, most profitable first) and ``cumulative_profit_share``.
    """
    if profits.empty:
        return pd.DataFrame({"customer_share": [0.0], "cumulative_profit_share": [0.0]})
    ranked = profits.sort_values("profit_rank")
    n = len(ranked)
    share = ranked["cumulative_profit_share"].to_numpy()
    picks = sorted({min(n, max(1, round(i * n / (points - 1)))) for i in range(1, points)})
    return pd.DataFrame({
        "customer_share": [0.0] + [p / n for p in picks],
        "cumulative_profit_share": [0.0] + [float(share[p - 1]) for p in picks],
    })


def profitability_summary(profits: pd.DataFrame) -> pd.Series:
    """Headline figures of a :func:`profitability` frame.

    ``customers, revenue, cost_of_goods, cost_to_serve, profit, share_losing_money`` (share of
    customers with negative profit), ``peak_profit_share`` (top of the whale curve) and
    ``peak_customer_share`` (the share of customers at which it peaks).

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": ["a", "b"], "revenue": [10.0, 5.0],
    ...     "cost_of_goods": [0.0, 0.0], "cost_to_serve": [0.0, 8.0], "profit": [10.0, -3.0],
    ...     "profit_rank": [1, 2], "cumulative_profit": [10.0, 7.0],
    ...     "cumulative_profit_share": [10 / 7, 1.0]})
    >>> float(profitability_summary(frame)["share_losing_money"])
    0.5
    """
    n = len(profits)
    peak_at = int(profits["cumulative_profit_share"].fillna(0).to_numpy().argmax()) if n else 0
    return pd.Series({
        "customers": n,
        "revenue": float(profits["revenue"].sum()),
        "cost_of_goods": float(profits["cost_of_goods"].sum()),
        "cost_to_serve": float(profits["cost_to_serve"].sum()),
        "profit": float(profits["profit"].sum()),
        "share_losing_money": float((profits["profit"] < 0).mean()) if n else 0.0,
        "peak_profit_share": float(profits["cumulative_profit_share"].max()) if n else 0.0,
        "peak_customer_share": (peak_at + 1) / n if n else 0.0,
    }, dtype=object)


def profit_at_risk(frame: pd.DataFrame, *, probability_col: str = "p_churn",
                   value_col: str = "value_if_retained", cost_col: str | None = None,
                   sort: bool = True) -> pd.DataFrame:
    """Expected profit lost to departure: ``probability × (value − cost)``, largest first.

    The one definition of profit at risk (the worklist's, see :func:`churnguard.risk.score`):
    the departure probability times the margin the customer brings *if retained*, after their
    cost-to-serve where it is known. Not ``clv``: CLV is already discounted by the probability
    of being alive, so a likely leaver's value would shrink exactly when it matters (the
    definition before issue 18; pass ``value_col="clv"`` for it).

    Parameters
    ----------
    frame
        One row per customer with the probability and value columns.
    probability_col
        Probability of departure within the value's horizon, in [0, 1] (``p_churn``, or
        ``1 − p_alive``).
    value_col
        Margin over the horizon if the customer stays (``value_if_retained`` of
        :func:`churnguard.value.customer_value`).
    cost_col
        Cost-to-serve over the same horizon, subtracted from the value; a missing value counts
        as 0 (cost unknown). ``None`` (default) uses ``cost_to_serve`` when ``frame`` has it
        and no cost otherwise; a column named here must exist.
    sort
        Sort by ``profit_at_risk``, largest first (missing last), with a fresh index;
        ``False`` keeps ``frame``'s order and index.

    Returns
    -------
    pandas.DataFrame
        ``frame`` with ``profit_at_risk`` added.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": ["a", "b", "c"], "p_churn": [0.5, 0.1, 0.9],
    ...                       "value_if_retained": [100.0, 800.0, 50.0],
    ...                       "cost_to_serve": [20.0, 0.0, 80.0]})
    >>> profit_at_risk(frame)["profit_at_risk"].tolist()
    [80.0, 40.0, -27.0]
    """
    cost_name = cost_col if cost_col is not None else "cost_to_serve"
    needed = [probability_col, value_col] + ([cost_col] if cost_col is not None else [])
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SchemaError(f"profit_at_risk: column(s) {', '.join(missing)} not found; received "
                          f"{', '.join(map(str, frame.columns))}. Pass probability_col=, "
                          f"value_col= and cost_col=.")
    probability = frame[probability_col].astype("float64")
    if ((probability < 0) | (probability > 1)).any():
        raise SchemaError(f"profit_at_risk: {probability_col} must lie in [0, 1]; received "
                          f"values from {probability.min()} to {probability.max()}.")
    net = frame[value_col].astype("float64")
    if cost_name in frame.columns:
        net = net - frame[cost_name].astype("float64").fillna(0.0)
    result = frame.copy()
    result["profit_at_risk"] = probability * net
    if not sort:
        return result
    return result.sort_values("profit_at_risk", ascending=False, ignore_index=True,
                              kind="stable", na_position="last")
