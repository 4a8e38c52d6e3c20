from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from churnguard.value import SegmentRule, rfm_scores, segment_summary

END = date(2024, 6, 30)  # the day before as_of
# customer: (days since last purchase, purchases, revenue)
PLAN = {"c1": (0, 5, 500.0), "c2": (10, 1, 50.0), "c3": (40, 2, 80.0),
        "c4": (100, 4, 400.0), "c5": (200, 3, 100.0)}


def _orders() -> pd.DataFrame:
    rows = []
    for customer, (since, n, revenue) in PLAN.items():
        last = END - timedelta(days=since)
        rows += [(customer, last - timedelta(days=3 * k), revenue / n) for k in range(n)]
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"]).assign(
        order_date=lambda f: pd.to_datetime(f["order_date"]))


def test_hand_computed_scores_and_segments():
    scores = rfm_scores(_orders(), as_of="2024-07-01")
    assert scores["days_since_last"].tolist() == [0, 10, 40, 100, 200]
    assert scores["r_score"].tolist() == [5, 4, 3, 2, 1]
    assert scores["f_score"].tolist() == [5, 1, 2, 4, 3]
    assert scores["m_score"].tolist() == [5, 1, 2, 4, 3]
    assert scores["rfm_score"].tolist() == ["555", "411", "322", "244", "133"]
    assert scores["segment"].tolist() == ["champions", "new", "potential", "can't lose",
                                          "at risk"]
    assert scores["segment_label"].tolist() == ["冠军客户", "新客户", "潜力客户",
                                                "不能失去的客户", "流失风险客户"]


def test_ties_share_the_lowest_score():
    orders = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "d"],
                           "order_date": pd.to_datetime(["2024-01-01"] * 4 + ["2024-01-02"]),
                           "amount": [1.0, 1, 1, 1, 1]})
    scores = rfm_scores(orders, as_of="2024-02-01")
    assert scores["f_score"].tolist() == [1, 1, 1, 5]


def test_rules_are_overridable_and_unmatched_is_other():
    rules = [SegmentRule("vip", "贵宾", m=(5, 5)), SegmentRule("recent", "近期", r=(4, 5))]
    scores = rfm_scores(_orders(), as_of="2024-07-01", rules=rules)
    assert scores["segment"].tolist() == ["vip", "recent", "other", "other", "other"]
    assert scores["segment_label"].tolist()[2] == "其他"
    summary = segment_summary(scores)
    assert summary.set_index("segment").loc["other", "customers"] == 3
    assert summary["customer_share"].sum() == 1.0


def test_default_rules_name_every_score_combination():
    from churnguard.value import DEFAULT_RULES

    def named(r: int, f: int, m: int) -> bool:
        return any(rule.r[0] <= r <= rule.r[1] and rule.f[0] <= f <= rule.f[1]
                   and rule.m[0] <= m <= rule.m[1] for rule in DEFAULT_RULES)

    assert all(named(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6))
