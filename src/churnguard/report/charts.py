"""ECharts options for the review's charts, labelled in Chinese or English.

Each function takes a panel's long table (see :mod:`churnguard.report.panels`) and a language and
returns an ECharts option dictionary; the dashboard passes it to ``echarts.init(...).setOption``
and the monthly report embeds it the same way.

Examples
--------
>>> import pandas as pd
>>> k = pd.DataFrame({"period_start": pd.to_datetime(["2024-05-01", "2024-06-01"]),
...                   "retention_rate": [0.9, 0.8], "revenue_churn_rate": [0.05, 0.1],
...                   "churn_rate": [0.1, 0.2]})
>>> trend_option(k, "en")["xAxis"]["data"]
['2024-05', '2024-06']
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from churnguard.i18n import translate, translate_value

PALETTE = ["#1f6feb", "#d9480f", "#2f9e44", "#7048e8", "#e8590c", "#0c8599", "#c2255c",
           "#5c940d", "#495057"]


def _months(frame: pd.DataFrame) -> list[str]:
    return [pd.Timestamp(v).strftime("%Y-%m") for v in frame["period_start"]]


def _values(series: pd.Series, digits: int = 4) -> list[float | None]:
    return [None if pd.isna(v) else round(float(v), digits) for v in series]


def _percents(series: pd.Series, digits: int = 1) -> list[float | None]:
    """Shares as percentages (0.123 → 12.3) for axes labelled ``{value}%``."""
    return [None if pd.isna(v) else round(float(v) * 100, digits) for v in series]


PERCENT_AXIS = {"type": "value", "axisLabel": {"formatter": "{value}%"}}


def _base(lang: str) -> dict[str, Any]:
    return {"color": PALETTE, "tooltip": {"trigger": "axis"},
            "grid": {"left": 56, "right": 24, "top": 40, "bottom": 40, "containLabel": True},
            "legend": {"top": 0}, "animation": False,
            "textStyle": {"fontFamily": "Noto Sans CJK SC, Microsoft YaHei, sans-serif"}}


def trend_option(kpis: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Retention rate and revenue churn rate per month (two lines, percent axis)."""
    option = _base(lang)
    option.update({
        "xAxis": {"type": "category", "data": _months(kpis)},
        "yAxis": [{**PERCENT_AXIS, "name": translate("kpi.retention_rate", lang), "scale": True},
                  {**PERCENT_AXIS, "name": translate("kpi.revenue_churn_rate", lang)}],
        "series": [
            {"name": translate("kpi.retention_rate", lang), "type": "line",
             "data": _percents(kpis["retention_rate"])},
            {"name": translate("kpi.revenue_churn_rate", lang), "type": "line",
             "yAxisIndex": 1, "data": _percents(kpis["revenue_churn_rate"])},
        ],
    })
    return option


def logo_vs_revenue_option(kpis: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Customer (logo) churn rate beside revenue churn rate per month (bars)."""
    option = _base(lang)
    option.update({
        "xAxis": {"type": "category", "data": _months(kpis)},
        "yAxis": PERCENT_AXIS,
        "series": [
            {"name": translate("kpi.churn_rate", lang), "type": "bar",
             "data": _percents(kpis["churn_rate"])},
            {"name": translate("kpi.revenue_churn_rate", lang), "type": "bar",
             "data": _percents(kpis["revenue_churn_rate"])},
        ],
    })
    return option


COHORT_BINS = ((0, 20), (20, 40), (40, 60), (60, 80), (80, 100))
COHORT_COLOURS = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")  # light → dark blue


def cohort_option(cohort: pd.DataFrame, lang: str) -> dict[str, Any]:
    """The cohort triangle as a heatmap: cohorts down, months since first order across.

    Five bands of one blue from light (few) to dark (many), the legend beside the grid (not
    over the axis), dark labels on light cells and white on dark ones.
    """
    cohorts = sorted(cohort["cohort"].unique())
    ages = list(range(int(cohort["age"].max()) + 1)) if not cohort.empty else []
    row = {c: i for i, c in enumerate(cohorts)}
    data = []
    for c, a, v in cohort[["cohort", "age", "value"]].itertuples(index=False):
        share = round(float(v) * 100)
        data.append({"value": [int(a), row[c], share],
                     "label": {"color": "#fff" if share >= 60 else "#1f2933"}})
    pieces = [{"min": low, "max": high, "label": f"{low}–{high}%", "color": colour}
              for (low, high), colour in zip(COHORT_BINS, COHORT_COLOURS, strict=True)]
    return {
        "tooltip": {"position": "top"}, "animation": False,
        "grid": {"left": 70, "right": 96, "top": 12, "bottom": 44},
        "xAxis": {"type": "category", "data": [str(a) for a in ages], "splitArea": {"show": True},
                  "name": translate("dash.cohort_axis", lang), "nameLocation": "middle",
                  "nameGap": 26},
        "yAxis": {"type": "category", "data": cohorts, "inverse": True,
                  "splitArea": {"show": True}},
        "visualMap": {"type": "piecewise", "pieces": pieces, "orient": "vertical", "right": 0,
                      "top": "middle", "itemWidth": 14, "itemHeight": 12, "textGap": 6},
        "series": [{"name": translate("dash.cohort", lang), "type": "heatmap", "data": data,
                    "itemStyle": {"borderColor": "#fff", "borderWidth": 1},
                    "label": {"show": len(ages) <= 13, "fontSize": 10}}],
    }


TIER_ORDER = ("core", "growth", "maintain", "low", "unranked", "new", "churned")


def sankey_parts(migration: pd.DataFrame
                 ) -> tuple[list[tuple[str, str]], list[tuple[str, str, int]]]:
    """The Sankey's nodes (``("source"|"target", state)``) and links (source, target, customers).

    Every value tier appears on both sides, even one nobody moved into or out of ("Low value"
    with nobody left in it still shows on the right, with 0); ``new`` only starts flows.

    Examples
    --------
    >>> m = pd.DataFrame({"source": ["core", "low"], "target": ["core", "churned"],
    ...                   "customers": [3, 1]})
    >>> sankey_parts(m)[0]  # doctest: +NORMALIZE_WHITESPACE
    [('source', 'core'), ('source', 'low'), ('target', 'core'), ('target', 'low'),
     ('target', 'churned')]
    """
    seen = set(migration["source"]) | set(migration["target"])
    order = [s for s in TIER_ORDER if s in seen] + sorted(seen - set(TIER_ORDER))
    tiers = [s for s in order if s not in ("new", "churned")]
    left = [s for s in order if s in tiers or s in set(migration["source"])]
    right = [s for s in order if s != "new" and (s in tiers or s in set(migration["target"]))]
    nodes = [("source", s) for s in left] + [("target", t) for t in right]
    links = [(str(s), str(t), int(v)) for s, t, v in
             migration[["source", "target", "customers"]].itertuples(index=False)]
    return nodes, links


def sankey_option(migration: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Tier migration as a Sankey diagram (start tiers on the left, end tiers on the right)."""
    nodes, links = sankey_parts(migration)

    def name(side: str, state: str) -> str:
        label = tier_label(state, lang)
        return f"{label} ›" if side == "source" else f"› {label}"

    flows = dict.fromkeys(nodes, 0)
    for source, target, count in links:
        flows[("source", source)] += count
        flows[("target", target)] += count
    colour = {state: PALETTE[i % len(PALETTE)] for i, state in enumerate(TIER_ORDER)}
    data = [{"name": name(side, state), "depth": 0 if side == "source" else 1,
             "itemStyle": {"color": colour.get(state, PALETTE[-1])},
             "label": {"formatter": f"{{b}} ({flows[(side, state)]})"}}
            for side, state in nodes]
    return {"tooltip": {"trigger": "item"}, "animation": False, "color": PALETTE,
            "series": [{"type": "sankey", "data": data, "layoutIterations": 0,
                        "nodeAlign": "justify", "left": 8, "right": 110,
                        "links": [{"source": name("source", s), "target": name("target", t),
                                   "value": v} for s, t, v in links],
                        "emphasis": {"focus": "adjacency"},
                        "lineStyle": {"color": "gradient", "curveness": 0.5}}]}


def pareto_option(pareto: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Churned customers per reason (bars) with the cumulative share (line, right axis)."""
    option = _base(lang)
    labels = [reason_label(r, lang) for r in pareto["reason"]]
    option.update({
        "xAxis": {"type": "category", "data": labels, "axisLabel": {"interval": 0, "rotate": 30}},
        "yAxis": [{"type": "value", "name": translate("kpi.churned_customers", lang)},
                  {**PERCENT_AXIS, "min": 0, "max": 100,
                   "name": translate("dash.cumulative", lang)}],
        "series": [
            {"name": translate("kpi.churned_customers", lang), "type": "bar",
             "data": _values(pareto["customers"], 0)},
            {"name": translate("dash.cumulative", lang), "type": "line", "yAxisIndex": 1,
             "data": _percents(pareto["cumulative_share"])},
        ],
    })
    return option


def survival_option(survival: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Kaplan-Meier curves, one step line per segment."""
    option = _base(lang)
    series = [{"name": translate_value("segment", group, lang), "type": "line", "step": "end",
               "showSymbol": False, "triggerLineEvent": True,
               "data": [[round(float(t), 1), round(float(s) * 100, 2)]
                        for t, s in part[["t", "survival"]].itertuples(index=False)]}
              for group, part in survival.groupby("group", sort=True)]
    option.update({
        "xAxis": {"type": "value", "name": translate("dash.survival_axis", lang),
                  "nameLocation": "middle", "nameGap": 26},
        "yAxis": {**PERCENT_AXIS, "min": 0, "max": 100,
                  "name": translate("dash.survival_value", lang)},
        "series": series,
    })
    return option


def risk_by_tier_option(risk: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Share of customers at risk per value tier (bars)."""
    option = _base(lang)
    option.update({
        "xAxis": {"type": "category", "data": [tier_label(t, lang) for t in risk["tier"]]},
        "yAxis": {**PERCENT_AXIS, "min": 0},
        "series": [{"name": translate("dash.at_risk_share", lang), "type": "bar",
                    "data": _percents(risk["share"])}],
    })
    return option


def reason_label(code: str, lang: str) -> str:
    """A churn-reason code in words (from ``churnguard.reasons`` when it is installed).

    Examples
    --------
    >>> reason_label("no_such_code", "zh")
    'no_such_code'
    """
    try:
        from churnguard.reasons.taxonomy import default_taxonomy
    except ImportError:
        return code
    return default_taxonomy().label(code, lang=lang)


def tier_label(tier: str, lang: str) -> str:
    """A value tier in words (``core`` → 核心客户)."""
    key = f"tier.{tier}"
    text = translate(key, lang)
    return tier if text == key else text
