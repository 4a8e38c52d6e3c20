"""The report's at-risk lists: the save list by profit at risk (ties by value if retained,
never by id or p_churn alone) and the lapsing customers apart, by value."""

from __future__ import annotations

import pandas as pd

from churnguard.report.sections.risk import _shown, at_risk_lists


def _scores() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["a1", "a2", "a3", "a4", "l1", "l2"],
        "p_churn": [0.95, 0.40, 0.50, 0.30, 0.99, 0.97],
        "profit_at_risk": [95.0, 200.0, 200.0, None, 495.0, 97.0],
        "value_if_retained": [100.0, 500.0, 400.0, 800.0, 500.0, 100.0],
        "clv": [60.0, 450.0, 380.0, 700.0, 5.0, 3.0],
        "lifecycle": ["active", "active", "active", "active", "lapsing", "lapsing"],
        "health_score": [5.0, 60.0, 50.0, 70.0, 1.0, 3.0], "owner_id": ["S1"] * 6,
        "reasons": ["r"] * 6, "reasons_zh": ["原因"] * 6})


def test_save_list_by_profit_at_risk_then_value_and_lapsing_apart():
    save, lapsing = at_risk_lists(_scores())
    # a2 and a3 tie at 200: a2 is worth more if kept; a1 has the highest p_churn but the
    # least profit at risk; a4 has no profit at risk (not scored for value) and comes last
    assert save["customer_id"].tolist() == ["a2", "a3", "a1", "a4"]
    assert lapsing["customer_id"].tolist() == ["l1", "l2"]  # 500 before 100
    shown = _shown(save)
    assert list(shown.columns) == ["customer", "profit at risk", "value if retained",
                                   "p_churn %", "health", "owner", "why 原因"]
    assert shown["value if retained"].tolist() == ["500", "400", "100", "800"]
    assert shown["profit at risk"].tolist() == ["200", "200", "95", ""]


def test_scores_of_the_older_layout_are_one_list_valued_by_clv():
    old = _scores().drop(columns=["value_if_retained", "lifecycle"])
    save, lapsing = at_risk_lists(old)
    assert lapsing.empty
    # l1 495, a2 = a3 = 200 (a2's CLV 450 > a3's 380), l2 97, a1 95, a4 none
    assert save["customer_id"].tolist() == ["l1", "a2", "a3", "l2", "a1", "a4"]
