"""Report section: why customers left (reason Pareto), what they talk about now (drift), and
how satisfied they say they are (NPS, CSAT, complaint follow-up)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from churnguard.report.document import Chart, Section

if TYPE_CHECKING:
    from churnguard.reasons.classifier import ReasonClassifier
    from churnguard.workspace import Workspace

MIN_TRAINING_TEXTS = 200
MAX_TRAINING_TEXTS = 4000


def _model(ws: Workspace, as_of: date) -> ReasonClassifier | None:
    """A reason model fitted on labelled interactions before ``as_of``, when there are enough."""
    from churnguard.reasons.classifier import ReasonClassifier, labelled_interactions

    rows = labelled_interactions(ws, as_of=as_of)
    if len(rows) < MIN_TRAINING_TEXTS or rows["reason"].nunique() < 2:
        return None
    if len(rows) > MAX_TRAINING_TEXTS:
        rows = rows.sample(MAX_TRAINING_TEXTS, random_state=0)
    return ReasonClassifier().fit(rows["text"], rows["reason"])


def _pareto_chart(table: pd.DataFrame, *, measure: str) -> Chart:
    """Bars of ``measure`` per reason, largest first, with the cumulative share as a line."""
    money = measure == "lost_revenue"
    table = table.sort_values([measure, "reason"], ascending=[False, True], kind="stable")
    cumulative = table[measure].cumsum() / table[measure].sum() * 100
    title = ("流失收入 Lost revenue by reason" if money else "流失客户 Churned customers by reason")
    return Chart(f"reasons-pareto-{'revenue' if money else 'customers'}", {
        "title": {"text": f"帕累托 Pareto · {title}"},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 28},
        "grid": {"top": 70, "bottom": 80},
        "xAxis": {"type": "category", "data": table["label_zh"].tolist(),
                  "axisLabel": {"rotate": 30}},
        "yAxis": [{"type": "value", "name": "¥" if money else "customers"},
                  {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"},
                   "splitLine": {"show": False}}],
        "series": [
            {"name": "lost revenue 流失收入" if money else "customers 流失客户", "type": "bar",
             "data": table[measure].round(2).tolist()},
            {"name": "cumulative % 累计占比", "type": "line", "yAxisIndex": 1,
             "data": cumulative.round(1).tolist()},
        ],
    })


def _survey_chart(surveys: pd.DataFrame) -> Chart:
    months = pd.to_datetime(surveys["period_start"]).dt.strftime("%Y-%m").tolist()

    def series(column: str, scale: float = 1.0) -> list[float | None]:
        return [None if pd.isna(v) else round(float(v) * scale, 1) for v in surveys[column]]

    return Chart("reasons-nps", {
        "title": {"text": "净推荐值与满意度 NPS · CSAT · complaint follow-up"},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 28},
        "grid": {"top": 70},
        "xAxis": {"type": "category", "data": months},
        "yAxis": [{"type": "value", "name": "NPS", "min": -100, "max": 100},
                  {"type": "value", "name": "%", "min": 0, "max": 100,
                   "splitLine": {"show": False}}],
        "series": [
            {"name": "NPS", "type": "line", "data": series("nps")},
            {"name": "CSAT satisfied % 满意率", "type": "line", "yAxisIndex": 1,
             "data": series("satisfied_share", 100)},
            {"name": "complaint follow-up % 投诉回访满意率", "type": "line", "yAxisIndex": 1,
             "data": series("complaint_satisfaction", 100)},
        ],
    })


def _intro(detail: pd.DataFrame, table: pd.DataFrame, start: date, as_of: date) -> str:
    if detail.empty:
        return f"No customer churned between {start:%Y-%m-%d} and {as_of:%Y-%m-%d}."
    unknown = detail["reason_source"] == "none"
    text = (f"Between {start:%Y-%m-%d} and {as_of:%Y-%m-%d}, {len(detail):,} customers churned, "
            f"taking ¥{detail['lost_revenue'].sum():,.0f} of revenue (their last 12 months) with "
            f"them. Reasons come from the churn archive, else exit surveys, else complaints "
            f"(labelled or read from their text); {int(unknown.sum()):,} churns "
            f"({unknown.mean():.0%}) left no reason — ask them (流失回访) — and are not in the "
            f"chart.")
    if table.empty:
        return text
    top = table.head(2)
    names = " and ".join(f"{r.label_en} ({r.label_zh})" for r in top.itertuples())
    return (f"{text} Fix first: {names} — {top['revenue_share'].sum():.0%} of the revenue lost "
            f"with a known reason.")


def build(ws: Workspace, as_of: date) -> Section | None:
    """Reason Pareto of the last 12 months, reason drift, and the survey trend."""
    from churnguard.reasons.drift import reason_drift
    from churnguard.reasons.pareto import churn_reasons, pareto_table
    from churnguard.reasons.surveys import survey_summary
    from churnguard.reasons.taxonomy import workspace_taxonomy

    if not ws.has_table("orders") or not ws.has_table("interactions"):
        return None
    start = date(as_of.year - 1, as_of.month, as_of.day if as_of.day <= 28 else 28)
    model = _model(ws, as_of)
    detail = churn_reasons(ws, start, as_of, model=model)
    table = pareto_table(detail[detail["reason_source"] != "none"],
                         taxonomy=workspace_taxonomy(ws))
    surveys = survey_summary(ws, date(as_of.year - 2, as_of.month, 1), as_of, freq="month")
    drift = reason_drift(ws, start, as_of, model=model).head(5)
    charts = [] if table.empty else [_pareto_chart(table, measure="lost_revenue"),
                                     _pareto_chart(table, measure="customers")]
    charts.append(_survey_chart(surveys))
    shown = table[["label_en", "label_zh", "customers", "lost_revenue", "customer_share",
                   "revenue_share", "cumulative_revenue_share"]].copy()
    for col in ("customer_share", "revenue_share", "cumulative_revenue_share"):
        shown[col] = (shown[col] * 100).round(1)
    shown.columns = ["reason", "原因", "customers", "lost_revenue", "customers_%", "revenue_%",
                     "cumulative_revenue_%"]
    rising = drift[["label_en", "label_zh", "previous_share", "current_share", "change"]].copy()
    for col in ("previous_share", "current_share", "change"):
        rising[col] = (rising[col] * 100).round(1)
    rising.columns = ["reason", "原因", "previous_%", "current_%", "change_pts"]
    tables = [("流失原因 Churn reasons, last 12 months", shown),
              ("话题漂移 Complaint and exit-survey topics rising most vs the 12 months before",
               rising)]
    return Section("Why customers leave · 客户流失原因", _intro(detail, table, start, as_of),
                   tables=tables, charts=charts)
