"""Report section: the loyalty KPIs, retention and revenue trends, logo vs revenue churn, the
revenue bridge and the cohort triangle (留存分析)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from churnguard.report.document import Chart, Section

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

TABLE_COLUMNS = {
    "status": "状态 status", "customers_start": "期初客户 start", "new_customers": "新客户 new",
    "churned_customers": "流失 churned", "reactivated_customers": "回流 back",
    "customers_end": "期末客户 end", "retention_rate": "留存率 retention",
    "churn_rate": "流失率 churn", "revenue": "销售额(有客户) attributed revenue",
    "unattributed_revenue": "无客户销售额 unattributed",
    "revenue_churn_rate": "收入流失 revenue churn",
    "grr": "GRR 12个月 12 months", "nrr": "NRR 12个月 12 months",
    "grr_mom": "GRR 环比 month on month", "nrr_mom": "NRR 环比 month on month",
    "new_customer_retention_90d": "新客户留存90天", "purchase_frequency": "购买频率",
    "avg_order_value": "平均订单额", "avg_spend_per_customer": "平均消费额",
    "share_of_wallet": "钱包份额", "complaint_satisfaction": "投诉客户满意度",
    "winback_rate": "挽回成功率",
}


STATUS_LABELS = {"warm_up": "预热期 warm-up", "partial": "不完整 partial",
                 "complete": "完整 complete"}


def _month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def _pct(values: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else round(float(v) * 100, 2) for v in values]


def kpi_table(kpis: pd.DataFrame) -> pd.DataFrame:
    """The KPI frame with bilingual headers and rates written as percentages."""
    from churnguard.metrics import RATE_COLUMNS

    shown = kpis.copy()
    shown.insert(0, "month 月份", pd.to_datetime(shown["period_start"]).dt.strftime("%Y-%m"))
    for column in RATE_COLUMNS:
        shown[column] = [("" if pd.isna(v) else f"{v:.1%}") for v in shown[column]]
    shown["status"] = shown["status"].map(STATUS_LABELS)
    shown = shown.drop(columns=["period_start", "period_end"])
    return shown.rename(columns=TABLE_COLUMNS)


def _line_chart(chart_id: str, title: str, months: list[str],
                series: list[dict[str, Any]], *, percent_axis: bool = True) -> Chart:
    axis = {"type": "value"}
    if percent_axis:
        axis["axisLabel"] = {"formatter": "{value}%"}
    return Chart(chart_id, {
        "title": {"text": title}, "tooltip": {"trigger": "axis"}, "legend": {"top": 28},
        "grid": {"top": 70}, "xAxis": {"type": "category", "data": months},
        "yAxis": [axis, {"type": "value", "splitLine": {"show": False}}], "series": series,
    })


def trend_charts(kpis: pd.DataFrame, moves: pd.DataFrame) -> list[Chart]:
    """Retention/churn with revenue, logo vs revenue churn, and the revenue bridge."""
    months = pd.to_datetime(kpis["period_start"]).dt.strftime("%Y-%m").tolist()
    title = "月度留存率与流失率 Monthly retention, churn and revenue"
    trend = _line_chart("retention-trend", title, months, [
        {"name": "留存率 retention %", "type": "line", "data": _pct(kpis["retention_rate"])},
        {"name": "流失率 churn %", "type": "line", "data": _pct(kpis["churn_rate"])},
        {"name": "销售额 revenue", "type": "bar", "yAxisIndex": 1,
         "data": kpis["revenue"].round(2).tolist()},
    ])
    pair = _line_chart("retention-logo-revenue",
                       "客户流失 vs 收入流失 Logo churn vs revenue churn · GRR · NRR", months, [
        {"name": "logo churn %", "type": "line", "data": _pct(kpis["churn_rate"])},
        {"name": "revenue churn %", "type": "line", "data": _pct(kpis["revenue_churn_rate"])},
        {"name": "GRR % (12 months)", "type": "line", "data": _pct(kpis["grr"])},
        {"name": "NRR % (12 months)", "type": "line", "data": _pct(kpis["nrr"])},
    ])
    names = {"new": "新客户 new", "reactivated": "回流 reactivated",
             "expansion": "增购 expansion", "contraction": "减购 contraction",
             "churned": "停购 churned"}
    bridge = _line_chart("retention-bridge", "收入变动 Revenue movements", months, [
        {"name": label, "type": "bar", "stack": "move", "data": moves[key].round(2).tolist()}
        for key, label in names.items()
    ], percent_axis=False)
    return [trend, pair, bridge]


def cohort_heatmap(triangle: pd.DataFrame) -> Chart:
    """The cohort triangle as an ECharts heatmap (share still active, %)."""
    offsets = [c for c in triangle.columns if isinstance(c, int | np.integer)]
    cohorts = pd.to_datetime(triangle["cohort"]).dt.strftime("%Y-%m").tolist()
    cells = [[int(j), i, round(float(v) * 100, 1)]
             for i, row in enumerate(triangle[offsets].to_numpy())
             for j, v in enumerate(row) if not np.isnan(v)]
    return Chart("retention-cohorts", {
        "title": {"text": "同期群留存 Cohort retention (% still customers)"},
        "tooltip": {"position": "top"},
        "grid": {"top": 50, "left": 80, "bottom": 70},
        "xAxis": {"type": "category", "data": [str(j) for j in offsets],
                  "name": "months since first purchase"},
        "yAxis": {"type": "category", "data": cohorts, "inverse": True},
        "visualMap": {"min": 0, "max": 100, "calculable": True, "orient": "horizontal",
                      "left": "center", "bottom": 0},
        "series": [{"type": "heatmap", "data": cells, "label": {"show": len(offsets) <= 18}}],
    }, height=max(320, 24 * len(cohorts) + 120))


def _intro(whole: pd.Series, churn_label: str, history: date | None, warm_up_days: int) -> str:
    """The section's opening sentences from the KPIs of the last twelve months."""
    if whole["status"] == "warm_up":
        ready = history + timedelta(days=warm_up_days) if history else None
        return (
            f"Churn definition: {churn_label}. The history starts on {history}: until "
            f"{ready} nobody can have churned yet and customers who bought before the data "
            f"began look new, so the year's churn and new-customer figures are left out "
            f"(预热期 warm-up). Revenue, frequency and spend are shown as measured; the "
            f"monthly table marks each month's status. docs/metrics.md gives every formula."
        )
    return (
        f"Churn definition: {churn_label}. Of the {whole['customers_start']:,} customers "
        f"active a year ago, {whole['churn_rate']:.1%} are gone (客户流失率); they had produced "
        f"{whole['revenue_churn_rate']:.1%} of the revenue of the year before (收入流失). "
        f"{whole['new_customers']:,} new customers arrived and {whole['reactivated_customers']:,} "
        f"came back, so the customer base (客户基数) went from {whole['customers_start']:,} to "
        f"{whole['customers_end']:,}. Monthly rates below are shares of the customers active at "
        f"the start of each month; docs/metrics.md gives every formula."
    )


def build(ws: Workspace, as_of: date) -> Section | None:
    """KPI table, monthly trends, logo vs revenue churn, revenue bridge and cohort triangle."""
    from churnguard.metrics import cohort_retention, loyalty_kpis, revenue_movements

    if not ws.has_table("orders"):
        return None
    end = _month_start(as_of)
    start = date(end.year - 2, end.month, 1)
    if end <= start:
        return None
    churn = ws.churn_definition()
    history = ws.history_start()
    kpis = loyalty_kpis(ws, start, end, freq="month", churn=churn, history_start=history)
    moves = revenue_movements(ws, start, end, freq="month", churn=churn, include_rates=False)
    triangle = cohort_retention(ws, as_of=end, cohort="month", churn=churn)
    triangle = triangle[triangle["cohort"] >= pd.Timestamp(start)].reset_index(drop=True)
    triangle = triangle.dropna(axis=1, how="all")
    year = kpis.tail(12)
    whole = loyalty_kpis(ws, date(end.year - 1, end.month, 1), end, freq=None,
                         churn=churn, history_start=history).iloc[0]
    intro = _intro(whole, churn.label(), history, churn.warm_up_days())
    cohort_table = triangle.copy()
    cohort_table["cohort"] = pd.to_datetime(cohort_table["cohort"]).dt.strftime("%Y-%m")
    for column in [c for c in cohort_table.columns if isinstance(c, int | np.integer)]:
        cohort_table[column] = [("" if pd.isna(v) else f"{v:.0%}") for v in cohort_table[column]]
    return Section(
        "Retention and loyalty KPIs · 客户留存与忠诚度指标", intro,
        tables=[("Loyalty KPIs by month 月度忠诚度指标 (last 12 months)", kpi_table(year)),
                ("Cohort triangle 同期群留存 (share still customers)", cohort_table)],
        charts=[*trend_charts(kpis, moves), cohort_heatmap(triangle)],
    )
