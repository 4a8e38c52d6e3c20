"""Report section: customer value — tiers, core customers, CLV distribution, whale curve, which
spend estimator was used and what the fits warned about, and the CLV checked on a holdout
(predicted vs actual revenue by decile, beside "last period's revenue")."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from churnguard.errors import ChurnguardError
from churnguard.report.document import Chart, Section

if TYPE_CHECKING:
    from churnguard.value.diagnostics import Diagnostic
    from churnguard.value.overview import ValueOverview
    from churnguard.workspace import Workspace

MIN_BUYERS = 20
HOLDOUT_MONTHS = 6
ESTIMATORS = {"gamma_gamma": "Gamma-Gamma (Gamma-Gamma 模型)",
              "shrinkage": "the robust shrinkage estimator: each customer's own average spend "
                           "shrunk towards the group's (稳健收缩估计)",
              "none": "no spend model (too little data)"}


def build(ws: Workspace, as_of: date) -> Section | None:
    """Tier sizes and value shares, top core customers, CLV distribution and whale curve."""
    from churnguard.value.overview import value_overview

    if not ws.has_table("orders"):
        return None
    try:
        overview = value_overview(ws, as_of=as_of)
    except ChurnguardError:
        return None  # too little history to fit the CLV models
    if len(overview.customers) < MIN_BUYERS:
        return None
    charts = [_tier_chart(overview.tiers)]
    if overview.customers["clv"].notna().any():  # NaN when BG/NBD could not be fitted
        charts.append(_clv_chart(overview.customers["clv"].dropna()))
    if overview.profits is not None and len(overview.profits):
        charts.append(_whale_chart(overview.profits))
    tables = _tables(overview)
    if overview.diagnostics:
        tables.insert(0, ("Fit warnings 模型拟合警告", fit_warnings_table(overview.diagnostics)))
    intro = _intro(overview)
    holdout = holdout_check(ws, as_of)
    if holdout is not None:
        intro += " " + holdout_text(holdout)
        tables.append((f"CLV on a {HOLDOUT_MONTHS}-month holdout 预测与实际", holdout))
        charts.append(holdout_chart(holdout))
    return Section("Customer value · 客户价值与核心客户", intro, tables=tables, charts=charts)


def fit_warnings_table(diagnostics: list[Diagnostic]) -> pd.DataFrame:
    """The fits' warnings as ``model, code, warning`` rows.

    Examples
    --------
    >>> from churnguard.value.diagnostics import Diagnostic
    >>> fit_warnings_table([Diagnostic("infinite_mean_spend", "q <= 1", "GammaGamma")]).values
    array([['GammaGamma', 'infinite_mean_spend', 'q <= 1']], dtype=object)
    """
    return pd.DataFrame({"model": [d.model for d in diagnostics],
                         "code": [d.code for d in diagnostics],
                         "warning": [d.message for d in diagnostics]})


def holdout_check(ws: Workspace, as_of: date) -> pd.DataFrame | None:
    """:func:`~churnguard.value.validate_clv` calibrated ``HOLDOUT_MONTHS`` before ``as_of``
    (the holdout ends at ``as_of``); None when the history is too short to fit it."""
    from churnguard.value import validate_clv

    calibration_end = (pd.Timestamp(as_of) - pd.DateOffset(months=HOLDOUT_MONTHS)).date()
    try:
        return validate_clv(ws, calibration_end, months=HOLDOUT_MONTHS)
    except ChurnguardError:
        return None


def holdout_text(table: pd.DataFrame) -> str:
    """One paragraph: the holdout's three figures beside the baseline's."""
    model, baseline = table.attrs["summary"], table.attrs["baseline"]
    return (f"Checked on a holdout: fitted on orders before {table.attrs['calibration_end']}, "
            f"the forecast of the next {HOLDOUT_MONTHS} months' revenue (to "
            f"{table.attrs['end']}) was {_signed(model['total_error'])} against actual in total "
            f"(last period's revenue as the forecast: {_signed(baseline['total_error'])}), "
            f"{_signed(model['one_time_error'])} for one-time buyers "
            f"({_signed(baseline['one_time_error'])}), and off by "
            f"{model['mean_decile_abs_error']:.0%} per predicted decile on average "
            f"({baseline['mean_decile_abs_error']:.0%}). "
            f"检验：以 {table.attrs['calibration_end']} 前的订单拟合，预测其后 "
            f"{HOLDOUT_MONTHS} 个月的收入。")


def _signed(value: float) -> str:
    """A relative error with its sign: one decimal below ±10% (never "-0%").

    Examples
    --------
    >>> _signed(-0.004), _signed(0.19), _signed(float("nan"))
    ('-0.4%', '+19%', '–')
    """
    if value is None or value != value:
        return "–"
    return f"{value:+.1%}" if abs(value) < 0.1 else f"{value:+.0%}"


def holdout_chart(table: pd.DataFrame) -> Chart:
    """Predicted vs actual revenue per predicted decile, with the baseline's forecast."""
    deciles = table[~table["decile"].isin(["total", "one_time"])]
    return Chart("value-holdout", {
        "title": {"text": "CLV check 预测与实际: next-period revenue by predicted decile",
                  "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"}, "legend": {"top": 24},
        "grid": {"top": 60, "left": 70, "right": 20, "bottom": 40},
        "xAxis": {"type": "category", "name": "decile (1 = highest predicted)",
                  "nameLocation": "middle", "nameGap": 26,
                  "data": deciles["decile"].tolist()},
        "yAxis": {"type": "value", "name": "revenue"},
        "series": [
            {"name": "predicted", "type": "bar",
             "data": deciles["predicted_revenue"].round(0).tolist()},
            {"name": "actual", "type": "bar", "data": deciles["actual_revenue"].round(0).tolist()},
            {"name": "last period's revenue (baseline)", "type": "line",
             "data": deciles["baseline_revenue"].round(0).tolist()},
        ],
    })


def _intro(overview: ValueOverview) -> str:
    core = overview.tiers.iloc[0]
    text = (f"{len(overview.customers):,} customers bought before {overview.as_of:%Y-%m-%d}. "
            f"The {int(core['customers']):,} core customers (核心客户, top "
            f"{core['customers_share']:.0%} by 12-month CLV) brought "
            f"{core['revenue_12m_share']:.0%} of last year's revenue and hold "
            f"{core['clv_share']:.0%} of the expected margin of the next 12 months "
            f"(BG/NBD purchases × spend per purchase from "
            f"{ESTIMATORS.get(overview.spend_estimator, overview.spend_estimator)}, "
            f"gross margin {overview.margin:.0%}, 1% monthly discount).")
    if overview.spend_reason:
        text += f" Spend model chosen because: {overview.spend_reason}."
    if overview.diagnostics:
        text += (f" The fits gave {len(overview.diagnostics)} warning(s) (拟合警告), listed "
                 f"below: read the CLV with them in mind.")
    if overview.profit_summary is not None:
        summary = overview.profit_summary
        text += (f" After activity-based cost-to-serve (作业成本法), "
                 f"{summary['share_losing_money']:.0%} of customers lost money last year; "
                 f"the best {summary['peak_customer_share']:.0%} earned "
                 f"{summary['peak_profit_share']:.0%} of total profit.")
    return text


def _tables(overview: ValueOverview) -> list[tuple[str, pd.DataFrame]]:
    tiers = overview.tiers.copy()
    for column in ("customers_share", "revenue_12m_share", "clv_share"):
        tiers[column] = (tiers[column] * 100).round(1)
    tiers = tiers.rename(columns=lambda c: c.replace("_share", "_%"))
    columns = [c for c in ("customer_id", "clv", "p_alive", "expected_purchases",
                           "revenue_12m", "profit_12m", "cost_to_serve")
               if c in overview.customers.columns]
    core = overview.customers[overview.customers["tier"] == "core"].head(10)[columns]
    return [("Value tiers 客户价值分层", tiers), ("Top 10 core customers 核心客户", core),
            ("CLV model parameters (weeks)", overview.parameters)]


def _tier_chart(tiers: pd.DataFrame) -> Chart:
    labels = tiers["tier_label"].tolist()
    series = [{"name": name, "type": "bar",
               "data": (tiers[column] * 100).round(1).tolist()}
              for name, column in (("customers %", "customers_share"),
                                   ("revenue 12m %", "revenue_12m_share"),
                                   ("CLV %", "clv_share"))]
    return Chart("value-tiers", {
        "title": {"text": "价值分层 Tier sizes and value shares"},
        "tooltip": {"trigger": "axis"}, "legend": {"top": 28}, "grid": {"top": 70},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "axisLabel": {"formatter": "{value}%"}},
        "series": series,
    })


def clv_histogram(values: pd.Series) -> pd.DataFrame:
    """Customers per CLV band on a 1–3–10 scale (``band``, ``customers``)."""
    top = max(float(values.max()), 1.0)
    edges = [0.0] + [m * 10.0**k for k in range(int(np.ceil(np.log10(top))) + 1)
                     for m in (1, 3)]
    edges = [e for i, e in enumerate(edges) if i == 0 or edges[i - 1] < top]
    counts, _ = np.histogram(values.clip(lower=0), bins=edges + [np.inf])
    bands = [f"{_short(lo)}–{_short(hi)}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    bands.append(f"≥{_short(edges[-1])}")
    return pd.DataFrame({"band": bands, "customers": counts})


def _short(value: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def _clv_chart(values: pd.Series) -> Chart:
    bands = clv_histogram(values)
    return Chart("value-clv", {
        "title": {"text": "客户终身价值分布 CLV distribution (12 months, margin)"},
        "tooltip": {"trigger": "axis"}, "grid": {"top": 50},
        "xAxis": {"type": "category", "data": bands["band"].tolist(), "name": "CLV"},
        "yAxis": {"type": "value", "name": "customers"},
        "series": [{"name": "customers", "type": "bar", "data": bands["customers"].tolist()}],
    })


def _whale_chart(profits: pd.DataFrame) -> Chart:
    from churnguard.value.profitability import whale_curve

    curve = whale_curve(profits, points=101)
    points = [[round(x * 100, 1), round(y * 100, 1)] for x, y in
              zip(curve["customer_share"], curve["cumulative_profit_share"], strict=True)]
    return Chart("value-whale", {
        "title": {"text": "鲸鱼曲线 Whale curve: cumulative profit by customer rank"},
        "tooltip": {"trigger": "axis"}, "grid": {"top": 50},
        "xAxis": {"type": "value", "name": "customers %", "max": 100},
        "yAxis": {"type": "value", "name": "profit %", "axisLabel": {"formatter": "{value}%"}},
        "series": [{"name": "cumulative profit %", "type": "line", "showSymbol": False,
                    "data": points, "markLine": {"data": [{"yAxis": 100}]}}],
    })
