"""Segment migration (客户迁移): how customers moved between value tiers, ``new`` and ``churned``.

At ``start`` and at ``end`` each customer has a state: their value tier when active, ``churned``
when churned, and (at ``start`` only) ``new`` when they had not bought yet. Customers churned at
both dates, and those who never bought by ``end``, are left out.

Tiers come from ``tiers``:

- ``None``: :func:`churnguard.value.value_tiers` by revenue (core / growth / maintain / low);
  revenue quartiles when the value package is unavailable;
- ``"quartiles"``: quartiles of the last ``lookback_days`` revenue among active customers,
  ``Q1`` the top quarter (ties share the better quartile), computed in the engine;
- a callable ``tiers(ws, as_of)`` returning ``customer_id, tier`` (DataFrame or Ibis table);
- a DataFrame ``as_of, customer_id, tier`` with rows for both dates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from churnguard.churn import ChurnDefinition, Inactivity, midnight, to_date
from churnguard.errors import ConfigError
from churnguard.metrics.periods import plus

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

TierSource = None | str | Callable[[Any, date], Any] | pd.DataFrame


def trailing_revenue(ws: Workspace, as_of: date, days: int) -> ir.Table:
    """``customer_id, revenue``: net revenue in ``[as_of − days, as_of)``."""
    orders = ws.table("orders")
    orders = orders.filter(orders.order_date >= midnight(plus(as_of, -days)),
                           orders.order_date < midnight(as_of))
    return orders.group_by("customer_id").aggregate(revenue=orders.amount.sum())


def revenue_quartiles(ws: Workspace, as_of: date | datetime | str, *,
                      churn: ChurnDefinition = Inactivity(180),  # noqa: B008 - frozen
                      lookback_days: int = 365) -> ir.Table:
    """``customer_id, tier`` (``Q1`` … ``Q4``) of the customers active at ``as_of``."""
    as_of = to_date(as_of)
    status = churn.status(ws, as_of)
    active = status.filter(status.status == "active").select("customer_id")
    revenue = trailing_revenue(ws, as_of, lookback_days)
    ranked = active.left_join(revenue, "customer_id")
    ranked = ranked.select("customer_id", revenue=ranked.revenue.fill_null(0.0))
    rank = ibis.rank().over(order_by=ibis.desc(ranked.revenue))
    total = ranked.customer_id.count().over(ibis.window())
    quartile = (rank.cast("float64") * 4 / total).floor().cast("int64") + 1
    return ranked.select("customer_id", tier=ibis.literal("Q") + quartile.cast("string"))


def tiers_at(ws: Workspace, as_of: date, tiers: TierSource, *, churn: ChurnDefinition,
             lookback_days: int) -> ir.Table:
    """Resolve ``tiers`` (see the module docstring) to an Ibis ``customer_id, tier`` table."""
    if tiers is None:
        try:
            from churnguard.value import value_tiers
        except ImportError:
            return revenue_quartiles(ws, as_of, churn=churn, lookback_days=lookback_days)
        frame = value_tiers(ws, as_of=as_of, by="revenue", window_days=lookback_days)
        return ibis.memtable(frame[["customer_id", "tier"]].astype({"tier": "string"}))
    if isinstance(tiers, str):
        if tiers != "quartiles":
            raise ConfigError(f"tiers={tiers!r} is not understood. Pass None, 'quartiles', a "
                              f"callable tiers(ws, as_of) or a DataFrame as_of, customer_id, tier.")
        return revenue_quartiles(ws, as_of, churn=churn, lookback_days=lookback_days)
    if isinstance(tiers, pd.DataFrame):
        missing = {"as_of", "customer_id", "tier"} - set(tiers.columns)
        if missing:
            raise ConfigError(f"the tiers DataFrame lacks column(s) {sorted(missing)}; it needs "
                              f"as_of, customer_id, tier.")
        rows = tiers[pd.to_datetime(tiers["as_of"]).dt.date == as_of]
        if rows.empty:
            raise ConfigError(f"the tiers DataFrame has no rows for as_of {as_of}; give tiers "
                              f"for both the start and the end date.")
        return ibis.memtable(rows[["customer_id", "tier"]].astype({"customer_id": "string",
                                                                   "tier": "string"}))
    result = tiers(ws, as_of)
    if isinstance(result, pd.DataFrame):
        result = ibis.memtable(result[["customer_id", "tier"]].astype({"tier": "string"}))
    return result.select("customer_id", tier=result.tier.cast("string"))


def states_at(ws: Workspace, as_of: date, tiers: ir.Table, churn: ChurnDefinition) -> ir.Table:
    """``customer_id, state``: the tier when active, ``churned`` or ``new`` (prospect)."""
    status = churn.status(ws, as_of).left_join(tiers, "customer_id")
    state = ibis.cases(
        (status.status == "prospect", "new"),
        (status.status == "churned", "churned"),
        else_=status.tier.fill_null("unranked"),
    )
    return status.select(status.customer_id, state=state)


def segment_migration(
    ws: Workspace,
    start: date | datetime | str,
    end: date | datetime | str,
    *,
    tiers: TierSource = None,
    churn: ChurnDefinition = Inactivity(180),  # noqa: B008 - frozen
    lookback_days: int = 365,
) -> pd.DataFrame:
    """Customers (and revenue) moving between states from ``start`` to ``end``.

    Returns
    -------
    DataFrame
        ``from_tier, to_tier, customers, revenue_start, revenue_end`` where the revenues are
        the group's revenue in the ``lookback_days`` before ``start`` and before ``end``.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from churnguard import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp() + "/shop")
    >>> _ = ws.load("customers", pd.DataFrame({"customer_id": ["a", "b"]}))
    >>> _ = ws.load("orders", pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "b"],
    ...     "amount": [10.0, 20.0], "order_date": ["2024-01-05", "2024-03-20"]}))
    >>> m = segment_migration(ws, "2024-02-01", "2024-04-01", tiers="quartiles",
    ...                       churn=Inactivity(days=30))
    >>> m[["from_tier", "to_tier", "customers"]].values.tolist()
    [['Q1', 'churned', 1], ['new', 'Q1', 1]]
    """
    start, end = to_date(start), to_date(end)
    if start >= end:
        raise ConfigError(f"start {start} must be before end {end}.")
    before = states_at(ws, start, tiers_at(ws, start, tiers, churn=churn,
                                           lookback_days=lookback_days), churn)
    after = states_at(ws, end, tiers_at(ws, end, tiers, churn=churn,
                                        lookback_days=lookback_days), churn)
    moves = before.select("customer_id", from_tier=before.state).inner_join(
        after.select("customer_id", to_tier=after.state), "customer_id")
    moves = moves.filter((moves.to_tier != "new")
                         & ~((moves.from_tier == "churned") & (moves.to_tier == "churned")))
    rev_start = trailing_revenue(ws, start, lookback_days).rename(revenue_start="revenue")
    rev_end = trailing_revenue(ws, end, lookback_days).rename(revenue_end="revenue")
    moves = moves.left_join(rev_start, "customer_id").drop("customer_id_right")
    moves = moves.left_join(rev_end, "customer_id").drop("customer_id_right")
    table = moves.group_by(["from_tier", "to_tier"]).aggregate(
        customers=moves.count(),
        revenue_start=moves.revenue_start.fill_null(0.0).sum(),
        revenue_end=moves.revenue_end.fill_null(0.0).sum(),
    ).to_pandas()
    table = table.sort_values(["from_tier", "to_tier"], ignore_index=True)
    return table.astype({"customers": "int64"})
