"""Activity-based costing fixtures worked out by hand (January 2024).

Pools: order handling 1000 / 50 orders = 20 each; delivery 600 / 12 = 50 each; sales visit
900 / 10 visits = 90 each; custom set-up 300 with no driver in January (unassigned).
"""

from __future__ import annotations

import pandas as pd
import pytest
from tests.factories import make_workspace

from churnguard.errors import SchemaError
from churnguard.value import (
    cost_to_serve,
    driver_rates,
    profit_at_risk,
    profitability,
    profitability_summary,
    whale_curve,
)

POOLS = pd.DataFrame({
    "activity": ["order_handling", "delivery", "sales_visit", "custom_setup", "order_handling",
                 "delivery"],
    "period": pd.to_datetime(["2024-01-01"] * 4 + ["2024-02-01", "2023-12-01"]),
    "total_cost": [1000.0, 600.0, 900.0, 300.0, 777.0, 999.0],
})
ACTIVITY_ROWS = [
    ("A", "order_handling", 10), ("A", "delivery", 2), ("A", "sales_visit", 1),
    ("B", "order_handling", 30), ("B", "delivery", 8),
    ("C", "order_handling", 10), ("C", "delivery", 2), ("C", "sales_visit", 5),
    ("D", "sales_visit", 4),
]
ACTIVITIES = pd.concat([
    pd.DataFrame([(c, a, pd.Timestamp("2024-01-15"), float(n)) for c, a, n in ACTIVITY_ROWS],
                 columns=["customer_id", "activity", "date", "count"]),
    pd.DataFrame({"customer_id": ["A"], "activity": ["delivery"],               # February:
                  "date": [pd.Timestamp("2024-02-02")], "count": [50.0]}),      # outside
], ignore_index=True)
ORDERS = pd.DataFrame({
    "order_id": ["1", "2", "3", "4", "5", "6"],
    "customer_id": ["A", "B", "C", "C", "A", "B"],
    "order_date": pd.to_datetime(["2024-01-03", "2024-01-09", "2024-01-10", "2024-01-20",
                                  "2024-02-01", "2023-12-31 23:59"], format="mixed"),
    "amount": [3000.0, 2500.0, 1400.0, -200.0, 999.0, 999.0],
    "cost": [1800.0, 1000.0, 800.0, -100.0, 500.0, 500.0],
})
TABLES = {"orders": ORDERS, "activities": ACTIVITIES, "cost_pools": POOLS}


def test_driver_rates_by_hand():
    rates = driver_rates(TABLES, "2024-01-01", "2024-02-01").set_index("activity")
    assert rates.loc["order_handling", "rate"] == 20.0
    assert rates.loc["delivery", "rate"] == 50.0
    assert rates.loc["sales_visit", "rate"] == 90.0
    assert pd.isna(rates.loc["custom_setup", "rate"])
    assert rates.loc["custom_setup", "driver_count"] == 0


def test_cost_to_serve_by_hand():
    costs = cost_to_serve(TABLES, "2024-01-01", "2024-02-01")
    assert costs.to_dict("list") == {"customer_id": ["A", "B", "C", "D"],
                                     "cost_to_serve": [390.0, 1000.0, 750.0, 360.0]}
    detail = cost_to_serve(TABLES, "2024-01-01", "2024-02-01", detail=True)
    c_visits = detail[(detail.customer_id == "C") & (detail.activity == "sales_visit")]
    assert c_visits[["count", "rate", "cost"]].values.tolist() == [[5.0, 90.0, 450.0]]


def test_profitability_and_whale_curve_by_hand():
    profits = profitability(TABLES, "2024-01-01", "2024-02-01")
    assert profits["customer_id"].tolist() == ["A", "B", "C", "D"]
    assert profits["revenue"].tolist() == [3000.0, 2500.0, 1200.0, 0.0]
    assert profits["cost_of_goods"].tolist() == [1800.0, 1000.0, 700.0, 0.0]
    assert profits["profit"].tolist() == [810.0, 500.0, -250.0, -360.0]
    assert profits["cumulative_profit"].tolist() == [810.0, 1310.0, 1060.0, 700.0]
    assert profits["cumulative_profit_share"].tolist() == pytest.approx(
        [810 / 700, 1310 / 700, 1060 / 700, 1.0])
    summary = profitability_summary(profits)
    assert summary["share_losing_money"] == 0.5
    assert summary["peak_profit_share"] == pytest.approx(1310 / 700)
    assert summary["peak_customer_share"] == 0.5
    assert summary["cost_to_serve"] == 2500.0
    curve = whale_curve(profits, points=5)
    assert curve["customer_share"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert curve["cumulative_profit_share"].iloc[-1] == pytest.approx(1.0)


def test_workspace_gives_the_same_profits(tmp_path):
    ws = make_workspace(tmp_path / "ws", orders=ORDERS, activities=ACTIVITIES,
                        cost_pools=POOLS)
    try:
        profits = profitability(ws, "2024-01-01", "2024-02-01")
        assert profits["profit"].tolist() == [810.0, 500.0, -250.0, -360.0]
    finally:
        ws.close()


def test_without_goods_costs_profit_is_revenue_less_service():
    tables = dict(TABLES, orders=ORDERS.drop(columns="cost"))
    profits = profitability(tables, "2024-01-01", "2024-02-01").set_index("customer_id")
    assert profits.loc["A", "profit"] == 3000.0 - 390.0


def test_errors_say_what_to_fix():
    with pytest.raises(SchemaError, match=r"start 2024-02-01 is not before end 2024-01-01"):
        cost_to_serve(TABLES, "2024-02-01", "2024-01-01")
    with pytest.raises(SchemaError, match="needs the 'activities' table too"):
        profitability(ORDERS, "2024-01-01", "2024-02-01")
    with pytest.raises(SchemaError, match="p_churn must lie in"):
        profit_at_risk(pd.DataFrame({"p_churn": [1.5], "value_if_retained": [1.0]}))
    with pytest.raises(SchemaError, match="column.*risk not found"):
        profit_at_risk(pd.DataFrame({"p_churn": [0.5], "value_if_retained": [1.0]}),
                       probability_col="risk")
    with pytest.raises(SchemaError, match="column.*value_if_retained not found.*clv"):
        profit_at_risk(pd.DataFrame({"p_churn": [0.5], "clv": [1.0]}))
    with pytest.raises(SchemaError, match="column.*serve_cost not found"):
        profit_at_risk(pd.DataFrame({"p_churn": [0.5], "value_if_retained": [1.0]}),
                       cost_col="serve_cost")


def test_profit_at_risk_is_departure_times_value_if_retained_after_cost():
    # the definition by default: p × (value_if_retained − cost_to_serve), not p × clv
    frame = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"],
                          "p_churn": [0.8, 0.1, 0.5, 0.25, 0.5],
                          "clv": [10.0, 900.0, 1.0, 50.0, 30.0],
                          "value_if_retained": [500.0, 1000.0, 100.0, 80.0, None],
                          "cost_to_serve": [100.0, None, 300.0, 0.0, 5.0]})
    ranked = profit_at_risk(frame)
    assert ranked["customer_id"].tolist() == ["a", "b", "d", "c", "e"]   # unknown value last
    assert ranked["profit_at_risk"].tolist()[:4] == [320.0, 100.0, 20.0, -100.0]
    assert pd.isna(ranked["profit_at_risk"].iloc[4])
    # without a cost column no cost is taken off; the old definition stays one argument away
    bare = profit_at_risk(frame.drop(columns="cost_to_serve"), sort=False)
    assert bare["profit_at_risk"].tolist()[:4] == [400.0, 100.0, 50.0, 20.0]
    assert bare["customer_id"].tolist() == list("abcde")               # order kept
    assert profit_at_risk(frame, value_col="clv", sort=False)["profit_at_risk"].tolist() == [
        0.8 * (10.0 - 100.0), 90.0, 0.5 * (1.0 - 300.0), 12.5, 0.5 * (30.0 - 5.0)]


def test_rates_come_from_the_pool_period_of_each_activity():
    # Yearly pools; a window across two of them uses each year's own rate.
    pools = pd.DataFrame({"activity": ["visit", "visit"],
                          "period": pd.to_datetime(["2023-01-01", "2024-01-01"]),
                          "total_cost": [1200.0, 2400.0]})
    acts = pd.DataFrame({
        "customer_id": ["a", "b", "a", "b", "c"], "activity": ["visit"] * 5,
        "date": pd.to_datetime(["2023-03-01", "2023-09-01", "2024-02-01", "2024-08-01",
                                "2025-03-01"]),  # 2025: after the last pool year ends
        "count": [6.0, 6.0, 4.0, 4.0, 10.0]})
    tables = {"cost_pools": pools, "activities": acts}
    rates = driver_rates(tables, "2023-07-01", "2024-07-01")
    assert rates["rate"].tolist() == [100.0, 300.0]          # 1200 / 12, 2400 / 8
    assert rates["period_end"].astype(str).tolist() == ["2024-01-01", "2025-01-01"]
    costs = cost_to_serve(tables, "2023-07-01", "2024-07-01")
    assert costs.to_dict("list") == {"customer_id": ["a", "b"],
                                     "cost_to_serve": [1200.0, 600.0]}
    assert cost_to_serve(tables, "2025-01-01", "2026-01-01")["cost_to_serve"].tolist() == [0.0]
