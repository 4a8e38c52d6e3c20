"""One call that gathers what the CLI and the report show about customer value.

:func:`value_overview` fits BG/NBD and Gamma-Gamma on the RFM summary (weeks) as of a date,
values every customer who bought before it (CLV, last-year revenue and, when activities and
cost pools exist, last-year profit after cost-to-serve), assigns tiers and summarises them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import ibis
import pandas as pd

from churnguard.value._data import table_of, to_date
from churnguard.value.beta_geo import BetaGeo
from churnguard.value.clv import clv
from churnguard.value.gamma_gamma import GammaGamma
from churnguard.value.profitability import profitability, profitability_summary
from churnguard.value.rfm import rfm_summary
from churnguard.value.tiers import DEFAULT_CUTOFFS, TIERS, tier_table


@dataclass
class ValueOverview:
    """Everything :func:`value_overview` computed."""

    as_of: date
    by: str
    customers: pd.DataFrame
    tiers: pd.DataFrame
    parameters: pd.DataFrame
    margin: float
    profits: pd.DataFrame | None
    profit_summary: pd.Series | None
    independence: pd.Series

    def tier_frame(self) -> pd.DataFrame:
        """The tiers shaped like :func:`value_tiers` output (for ``save_value_tiers``)."""
        column = {"clv": "clv", "revenue": "revenue_12m", "profit": "profit_12m"}[self.by]
        frame = self.customers[["customer_id", "value_rank", "customer_share", "tier",
                                "tier_label"]].assign(value=self.customers[column])
        frame.attrs.update(as_of=str(self.as_of), by=self.by)
        return frame


def gross_margin(ws: Any, start: date, end: date) -> float:
    """Σ(amount − cost) / Σ amount over orders in ``[start, end)`` that carry a cost; 1.0
    when no order does (CLV is then revenue, not margin)."""
    orders = table_of(ws, "orders")
    if "cost" not in orders.columns:
        return 1.0
    day = orders.order_date.cast("date")
    costed = orders.filter(day >= start, day < end, orders.cost.notnull())
    totals = costed.aggregate(amount=costed.amount.sum(), cost=costed.cost.sum()).to_pandas()
    amount, cost = totals["amount"].iloc[0], totals["cost"].iloc[0]
    if pd.isna(amount) or amount <= 0:
        return 1.0
    return float(min(max((amount - cost) / amount, 0.0), 1.0))


def _has_costs(ws: Any) -> bool:
    return (hasattr(ws, "has_table") and ws.has_table("activities")
            and ws.has_table("cost_pools"))


def _fit(summary: pd.DataFrame) -> tuple[BetaGeo, GammaGamma, pd.DataFrame]:
    bg = BetaGeo().fit(summary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        gg = GammaGamma().fit(summary)
    parameters = pd.concat([bg.summary().assign(model="BG/NBD"),
                            gg.summary().assign(model="Gamma-Gamma")]).reset_index()
    return bg, gg, parameters[["model", "parameter", "estimate", "std_error", "lower_95",
                               "upper_95"]]


def _customer_values(ws: Any, summary: pd.DataFrame, values: pd.DataFrame, start: date,
                     end: date, profits: pd.DataFrame | None) -> pd.DataFrame:
    orders = table_of(ws, "orders")
    day = orders.order_date.cast("date")
    recent = orders.filter(day >= start, day < end)
    revenue = recent.group_by("customer_id").aggregate(
        revenue_12m=recent.amount.cast("float64").sum()).to_pandas()
    frame = values.merge(revenue, on="customer_id", how="left")
    frame["revenue_12m"] = frame["revenue_12m"].fillna(0.0)
    if profits is not None:
        frame = frame.merge(profits[["customer_id", "cost_to_serve", "profit"]]
                            .rename(columns={"profit": "profit_12m"}), on="customer_id",
                            how="left")
        frame[["cost_to_serve", "profit_12m"]] = frame[["cost_to_serve", "profit_12m"]] \
            .fillna(0.0)
    frame["purchases"] = summary["frequency"].to_numpy() + 1
    return frame


def value_overview(ws: Any, *, as_of: date | datetime | str, by: str = "clv",
                   months: int = 12, window_days: int = 365, discount_rate: float = 0.01,
                   cutoffs: tuple[float, float, float] = DEFAULT_CUTOFFS) -> ValueOverview:
    """Fit the CLV models, value and tier every buyer, and summarise the tiers.

    ``by`` picks the tiering value: ``"clv"`` (margin CLV over ``months``),
    ``"revenue"`` or ``"profit"`` (both over the last ``window_days``).
    """
    cutoff = to_date(as_of)
    start = cutoff - timedelta(days=window_days)
    summary = rfm_summary(ws, as_of=cutoff, time_unit="W")
    bg, gg, parameters = _fit(summary)
    margin = gross_margin(ws, start, cutoff)
    values = clv(bg, gg, months=months, discount_rate=discount_rate, margin=margin)
    profits = profitability(ws, start, cutoff) if _has_costs(ws) else None
    customers = _customer_values(ws, summary, values, start, cutoff, profits)
    column = {"clv": "clv", "revenue": "revenue_12m", "profit": "profit_12m"}.get(by)
    if column not in customers.columns:
        from churnguard.errors import SchemaError

        raise SchemaError(f"by={by!r}: choose clv, revenue or profit (profit needs the "
                          f"activities and cost_pools tables).")
    tiers = tier_table(ibis.memtable(customers[["customer_id", column]]
                                     .rename(columns={column: "value"})), cutoffs).to_pandas()
    customers = tiers.drop(columns="value").merge(customers, on="customer_id") \
        .sort_values("value_rank", ignore_index=True)
    return ValueOverview(cutoff, by, customers, tier_overview(customers), parameters, margin,
                         profits, profitability_summary(profits) if profits is not None
                         else None, gg.independence_)


def tier_overview(customers: pd.DataFrame) -> pd.DataFrame:
    """Customers, 12-month revenue and CLV per tier with their shares (core first)."""
    sums = {"customers": ("customer_id", "size"), "revenue_12m": ("revenue_12m", "sum"),
            "clv": ("clv", "sum")}
    if "profit_12m" in customers:
        sums["profit_12m"] = ("profit_12m", "sum")
    table = customers.groupby(["tier", "tier_label"], as_index=False).agg(**sums)
    for column in ("customers", "revenue_12m", "clv"):
        total = table[column].sum()
        table[f"{column}_share"] = table[column] / total if total else 0.0
    order = {name: i for i, (name, _) in enumerate(TIERS)}
    return table.sort_values("tier", key=lambda s: s.map(order), ignore_index=True)
