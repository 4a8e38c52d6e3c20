"""Report section: the headline retention numbers, month by month."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from churnguard.report.document import Chart, Section

if TYPE_CHECKING:
    from churnguard.workspace import Workspace


def _counts(values: pd.Series) -> list[int | None]:
    """Counts for a chart: ``None`` where a count is null (warm-up periods)."""
    return [None if pd.isna(v) else int(v) for v in values]


def build(ws: Workspace, as_of: date) -> Section | None:
    """Active customers, new and churned customers, churn rate and revenue per month."""
    from churnguard.metrics import loyalty_kpis

    if not ws.has_table("orders"):
        return None
    start = date(as_of.year - 2, as_of.month, 1)
    kpis = loyalty_kpis(ws, start, as_of, freq="month", churn=ws.churn_definition(),
                        history_start=ws.history_start())
    months = pd.to_datetime(kpis["period_start"]).dt.strftime("%Y-%m").tolist()
    last_year = kpis.tail(12)
    intro = (
        f"Active customers on {as_of:%Y-%m-%d}: {int(kpis['customers_end'].iloc[-1]):,}. "
        f"In the last 12 months {int(last_year['new_customers'].sum()):,} customers arrived, "
        f"{int(last_year['churned_customers'].sum()):,} churned and "
        f"{int(last_year['reactivated_customers'].sum()):,} came back; customer-attributed "
        f"revenue (有客户的销售额) was ¥{last_year['revenue'].sum():,.0f}."
    )
    unattributed = last_year["unattributed_revenue"]
    if unattributed.notna().any():
        intro += (f" Sales without a customer (无客户销售额) added "
                  f"¥{unattributed.sum():,.0f}; they are in no customer figure.")
    warm = kpis["status"] == "warm_up"
    if warm.any():
        intro += (f" Until {kpis.loc[warm, 'period_end'].max():%Y-%m-%d} the history is too "
                  f"short to tell new from returning customers or to see churn (预热期 warm-up): "
                  f"those months show no new or churned counts.")
    base = Chart("overview-base", {
        "title": {"text": "客户基数 Active customers · new · churned"},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 28},
        "grid": {"top": 70},
        "xAxis": {"type": "category", "data": months},
        "yAxis": [{"type": "value"}, {"type": "value", "splitLine": {"show": False}}],
        "series": [
            {"name": "active", "type": "line", "yAxisIndex": 1,
             "data": _counts(kpis["customers_end"])},
            {"name": "new", "type": "bar", "data": _counts(kpis["new_customers"])},
            {"name": "churned", "type": "bar", "data": _counts(kpis["churned_customers"])},
        ],
    })
    revenue = Chart("overview-revenue", {
        "title": {"text": "月收入 Revenue · 流失率 churn rate"},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 28},
        "grid": {"top": 70},
        "xAxis": {"type": "category", "data": months},
        "yAxis": [{"type": "value"}, {"type": "value", "axisLabel": {"formatter": "{value}%"}}],
        "series": [
            {"name": "revenue", "type": "bar", "data": kpis["revenue"].round(2).tolist()},
            {"name": "churn rate %", "type": "line", "yAxisIndex": 1,
             "data": [None if pd.isna(v) else round(v * 100, 2) for v in kpis["churn_rate"]]},
        ],
    })
    table = kpis[["period_start", "status", "customers_start", "new_customers", "churned_customers",
                  "reactivated_customers", "customers_end", "churn_rate", "revenue"]].copy()
    table["churn_rate"] = (table["churn_rate"] * 100).round(2)
    table = table.rename(columns={"churn_rate": "churn_rate_%"})
    return Section("Retention at a glance · 客户保留概览", intro, tables=[("", table)],
                   charts=[base, revenue])
