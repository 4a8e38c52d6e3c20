"""One call that gathers what the CLI and the report show about customer value.

:func:`value_overview` fits BG/NBD and the spend model (Gamma-Gamma when it can be trusted,
else the shrinkage estimator) on the RFM summary (weeks) as of a date, values every customer
who bought before it (CLV, value if retained, last-year revenue and, when activities and cost
pools exist, last-year profit after cost-to-serve), assigns tiers and summarises them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import ibis
import pandas as pd

from churnguard.value._data import table_of, to_date
from churnguard.value.diagnostics import Diagnostic
from churnguard.value.profitability import profitability, profitability_summary
from churnguard.value.tiers import DEFAULT_CUTOFFS, TIERS, tier_table
from churnguard.value.valuation import (  # noqa: F401 - gross_margin is imported from here
    fit_value_models,
    gross_margin,
    value_frame,
    value_inputs,
)


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
    independence: pd.Series | None
    spend_estimator: str = "none"
    spend_reason: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def tier_frame(self) -> pd.DataFrame:
        """The tiers shaped like :func:`value_tiers` output (for ``save_value_tiers``)."""
        column = {"clv": "clv", "revenue": "revenue_12m", "profit": "profit_12m"}[self.by]
        frame = self.customers[["customer_id", "value_rank", "customer_share", "tier",
                                "tier_label"]].assign(value=self.customers[column])
        frame.attrs.update(as_of=str(self.as_of), by=self.by)
        return frame


def _has_costs(ws: Any) -> bool:
    return (hasattr(ws, "has_table") and ws.has_table("activities")
            and ws.has_table("cost_pools"))


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
    summary = value_inputs(ws, as_of=cutoff, time_unit="W")
    fit = fit_value_models(summary)
    margin = gross_margin(ws, start, cutoff)
    values = value_frame(fit, months=months, margin=margin, discount_rate=discount_rate)
    values = values.drop(columns=["margin", "spend_estimator"])
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
    gamma_gamma = (fit.spend_model if fit.estimator == "gamma_gamma"
                   else getattr(fit.spend_model, "gamma_gamma_", None))
    return ValueOverview(cutoff, by, customers, tier_overview(customers), fit.parameters(),
                         margin, profits, profitability_summary(profits) if profits is not None
                         else None, getattr(gamma_gamma, "independence_", None),
                         fit.estimator, getattr(fit.spend_model, "reason_", ""),
                         fit.diagnostics)


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
