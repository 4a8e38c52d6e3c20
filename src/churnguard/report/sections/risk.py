"""Report section: early warning — backtest against simple baselines, lift and calibration
charts, and the customers most at risk with their reasons (流失预警)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from churnguard.errors import ChurnguardError
from churnguard.report.document import Chart, Section

if TYPE_CHECKING:
    from churnguard.risk.backtest import BacktestResult
    from churnguard.workspace import Workspace

HORIZON_DAYS = 90
SNAPSHOTS = 4
TOP = 20
# The report trades a little accuracy for time: four times the library's default learning rate
# (about a quarter of the boosting rounds) keeps `churnguard demo` under two minutes.
LEARNING_RATE = 0.08
MODEL_LABELS = {"churnguard": "churnguard model", "rules": "warning rules only",
                "recency": "recency only"}


def build(ws: Workspace, as_of: date) -> Section | None:
    """Backtest table, lift and calibration charts, and the top at-risk customers."""
    from churnguard.risk.backtest import backtest
    from churnguard.risk.model import ChurnRiskModel
    from churnguard.risk.scoring import load_scores, score

    if not ws.has_table("orders"):
        return None
    evaluate_at = as_of - timedelta(days=HORIZON_DAYS)
    try:
        result = backtest(ws, evaluate_at, evaluate_at, HORIZON_DAYS, snapshots=SNAPSHOTS,
                          model=ChurnRiskModel(learning_rate=LEARNING_RATE))
        saved = load_scores(ws, as_of)
        if len(saved):
            scores = saved
        else:
            # the worklist's own risk (score's default label and horizon), not the backtest's
            scores = score(ws, as_of, snapshots=SNAPSHOTS,
                           model=ChurnRiskModel(learning_rate=LEARNING_RATE))
    except ChurnguardError:
        return None  # too little history for snapshots and labels
    return Section("Early warning · 流失预警", _intro(result, scores, as_of),
                   tables=_tables(result, scores),
                   charts=[_lift_chart(result), _calibration_chart(result)])


def _intro(result: BacktestResult, scores: pd.DataFrame, as_of: date) -> str:
    table = result.table
    model, recency = table.loc["churnguard"], table.loc["recency"]
    details = result.details
    high = int((scores["risk_band"] == "high").sum())
    at_risk = scores.loc[scores["risk_band"] == "high", "profit_at_risk"].sum()
    money = f" holding {at_risk:,.0f} of expected margin at risk" if at_risk > 0 else ""
    return (f"Backtest: a model trained only on data before {details['evaluate_at']:%Y-%m-%d} "
            f"scored the {details['evaluated']:,} customers active then; "
            f"{details['churn_rate']:.1%} churned within {details['horizon_days']} days. "
            f"Its top 10% held {model['lift_at_10']:.1f}× the average churn rate "
            f"(recency alone: {recency['lift_at_10']:.1f}×; ROC AUC {model['roc_auc']:.3f} vs "
            f"{recency['roc_auc']:.3f}); expected maximum profit of a retention offer "
            f"{model['emp']:.2f} per customer vs {recency['emp']:.2f}. "
            f"As of {as_of:%Y-%m-%d}, {high:,} of {len(scores):,} active customers are high "
            f"risk (p ≥ 50%){money}. The save list is ordered by profit at risk (churn risk × "
            f"what the customer is worth if retained; ties by that value); customers already "
            f"silent for most of the churn window (lapsing) are listed apart, by value, for "
            f"win-back. Reasons come from the model's own contributions.")


def _tables(result: BacktestResult, scores: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    table = result.table.reset_index()
    table["model"] = table["model"].map(MODEL_LABELS)
    save, lapsing = at_risk_lists(scores)
    calibration = result.calibration.rename(columns={"predicted": "predicted rate",
                                                     "observed": "observed rate"})
    tables = [("Backtest: model vs baselines (回测)", table.round(4)),
              (f"Top {TOP} customers to save, by profit at risk (挽留名单)",
               _shown(save.head(TOP)))]
    if len(lapsing):
        tables.append((f"Top {TOP} lapsing customers to win back, by value (召回名单)",
                       _shown(lapsing.head(TOP))))
    tables.append(("Calibration by decile of predicted risk", calibration.round(4)))
    return tables


def at_risk_lists(scores: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The save list (customers not lapsing, most profit at risk first, ties by value if
    retained, then id) and the win-back list (lapsing, by value if retained, then id); scores
    without ``lifecycle`` or ``value_if_retained`` (an older layout) count as active and are
    valued by ``clv``.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "p_churn": [.9, .5, .5, .99],
    ...                   "profit_at_risk": [90.0, 100.0, 100.0, 99.0],
    ...                   "value_if_retained": [100.0, 200.0, 300.0, 100.0],
    ...                   "lifecycle": ["active", "active", "active", "lapsing"]})
    >>> [frame["customer_id"].tolist() for frame in at_risk_lists(s)]
    [['c', 'b', 'a'], ['d']]
    """
    value = scores["value_if_retained"] if "value_if_retained" in scores else scores["clv"]
    frame = scores.assign(_value=value.astype("float64"))
    lapsing = (frame["lifecycle"] == "lapsing") if "lifecycle" in frame else \
        pd.Series(False, index=frame.index)
    save = frame[~lapsing].sort_values(["profit_at_risk", "_value", "customer_id"],
                                       ascending=[False, False, True], na_position="last")
    back = frame[lapsing].sort_values(["_value", "customer_id"], ascending=[False, True],
                                      na_position="last")
    return save.reset_index(drop=True), back.reset_index(drop=True)


def _money(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")


def _shown(top: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "customer": top["customer_id"], "profit at risk": _money(top["profit_at_risk"]),
        "value if retained": _money(top["_value"]),
        "p_churn %": (100 * top["p_churn"]).round(1), "health": top["health_score"],
        "owner": top["owner_id"], "why 原因": top["reasons_zh"] + " / " + top["reasons"],
    })


def _lift_chart(result: BacktestResult) -> Chart:
    curves = result.curves
    series = []
    for name, label in MODEL_LABELS.items():
        part = curves[curves["model"] == name]
        series.append({"name": label, "type": "line", "showSymbol": False,
                       "data": [[round(100 * s, 1), round(100 * c, 1)]
                                for s, c in zip(part["share"], part["capture"], strict=True)]})
    series.append({"name": "random", "type": "line", "showSymbol": False,
                   "lineStyle": {"type": "dashed"}, "data": [[0, 0], [100, 100]]})
    return Chart("risk-lift", {
        "title": {"text": "Churners found vs share of customers contacted (累计捕获率)",
                  "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"}, "legend": {"top": 24},
        "grid": {"top": 60, "left": 50, "right": 20, "bottom": 40},
        "xAxis": {"type": "value", "name": "% contacted", "max": 100},
        "yAxis": {"type": "value", "name": "% of churners", "max": 100},
        "series": series,
    })


def _calibration_chart(result: BacktestResult) -> Chart:
    table = result.calibration
    points = [[round(100 * p, 1), round(100 * o, 1)]
              for p, o in zip(table["predicted"], table["observed"], strict=True)]
    top = max(max(max(p) for p in points), 1.0) if points else 100.0
    return Chart("risk-calibration", {
        "title": {"text": "Calibration: predicted vs observed churn by decile (校准)",
                  "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "item"}, "legend": {"top": 24},
        "grid": {"top": 60, "left": 50, "right": 20, "bottom": 40},
        "xAxis": {"type": "value", "name": "predicted %", "max": round(top + 1)},
        "yAxis": {"type": "value", "name": "observed %", "max": round(top + 1)},
        "series": [
            {"name": "deciles", "type": "line", "data": points, "symbolSize": 8},
            {"name": "perfect", "type": "line", "showSymbol": False,
             "lineStyle": {"type": "dashed"}, "data": [[0, 0], [round(top + 1), round(top + 1)]]},
        ],
    })
