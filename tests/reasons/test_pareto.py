"""Reason Pareto, churn reasons and topic drift on a hand-built workspace.

Churn: Inactivity(days=30); window [2024-03-01, 2024-06-01). Worked by hand:

a (A): orders 01-10 100, 02-01 200; churns 2024-03-02; lost 300; price (archive).
b (A): orders 2023-03-01 50, 03-15 80, return 03-20 -20; churns 2024-04-14; lost 80 - 20 = 60
       (the 2023 order is older than 365 days); delivery (exit survey text 发货一拖再拖).
c (B): order 04-01 500; churns 2024-05-01; lost 500; service (2 of its 3 complaints).
d (B): order 04-20 40; churns 2024-05-20; lost 40; other (no complaint or exit survey).
e (B): order 05-15 1000; churns 06-14, after the window.
f (-): order 01-01 10; churns 01-31, before the window (complained 太贵了 on 01-20).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa
import pytest
from tests.factories import make_workspace, orders_frame

from churnguard.churn import Inactivity
from churnguard.errors import ConfigError
from churnguard.reasons.drift import reason_drift
from churnguard.reasons.pareto import churn_reasons, pareto_table, reason_pareto

CHURN = Inactivity(days=30)
START, END = "2024-03-01", "2024-06-01"

INTERACTIONS = [  # id, customer, ts, kind, text, reason
    ("i1", "a", "2024-03-20", "exit_survey", "客服不理人", "service"),
    ("i2", "b", "2024-03-25", "complaint", None, "quality"),
    ("i3", "b", "2024-04-20", "exit_survey", "发货一拖再拖", None),
    ("i4", "c", "2024-03-01 09:00", "complaint", None, "service"),
    ("i5", "c", "2024-03-10", "complaint", "客服太差", None),
    ("i6", "c", "2024-04-25", "complaint", None, "Price "),
    ("i7", "d", "2024-05-30", "call", "太贵了", None),  # not a complaint or exit survey
    ("i8", "b", "2024-01-15", "complaint", None, "quality"),
    ("i9", "f", "2024-01-20", "complaint", "太贵了", None),
    ("i10", "a", "2024-02-10", "complaint", "price is fine but the invoice was wrong", None),
]


@pytest.fixture
def ws(tmp_path):
    orders = orders_frame([
        ("a", "2024-01-10", 100.0), ("a", "2024-02-01", 200.0),
        ("b", "2023-03-01", 50.0), ("b", "2024-03-15", 80.0), ("b", "2024-03-20", -20.0),
        ("c", "2024-04-01", 500.0), ("d", "2024-04-20", 40.0), ("e", "2024-05-15", 1000.0),
        ("f", "2024-01-01", 10.0),
    ])
    customers = pd.DataFrame({"customer_id": list("abcdef"),
                              "segment": ["A", "A", "B", "B", "B", None]})
    interactions = pd.DataFrame(INTERACTIONS, columns=["interaction_id", "customer_id", "ts",
                                                       "kind", "text", "reason"])
    workspace = make_workspace(tmp_path / "ws", customers=customers, orders=orders,
                               interactions=interactions)
    workspace.warehouse.replace("churn_archive", pa.table({
        "customer_id": ["a", "c"], "churn_date": [date(2024, 3, 10), date(2022, 1, 1)],
        "reason": ["price", "competitor"]}))  # c's record is years away: not this churn
    yield workspace
    workspace.close()


def test_churn_reasons_detail(ws):
    detail = churn_reasons(ws, START, END, churn=CHURN)
    assert detail["customer_id"].tolist() == ["a", "b", "c", "d"]
    assert detail["churn_date"].dt.strftime("%m-%d").tolist() == ["03-02", "04-14", "05-01",
                                                                  "05-20"]
    assert detail["reason"].tolist() == ["price", "delivery", "service", "other"]
    assert detail["reason_source"].tolist() == ["archive", "exit_survey", "complaint", "none"]
    assert detail["lost_revenue"].tolist() == [300.0, 60.0, 500.0, 40.0]


def test_pareto_by_lost_revenue(ws):
    table = reason_pareto(ws, START, END, churn=CHURN)
    assert table["reason"].tolist() == ["service", "price", "delivery", "other"]
    assert table["label_zh"].tolist() == ["服务不到位", "价格因素", "交付物流", "其他"]
    assert table["customers"].tolist() == [1, 1, 1, 1]
    assert table["lost_revenue"].tolist() == [500.0, 300.0, 60.0, 40.0]
    assert table["revenue_share"].tolist() == pytest.approx([5 / 9, 3 / 9, 0.6 / 9, 0.4 / 9])
    assert table["cumulative_revenue_share"].tolist() == pytest.approx(
        [5 / 9, 8 / 9, 8.6 / 9, 1.0])
    assert table["cumulative_customer_share"].tolist() == pytest.approx([0.25, 0.5, 0.75, 1.0])


def test_pareto_by_segment(ws):
    table = reason_pareto(ws, START, END, churn=CHURN, by="segment")
    assert table[["segment", "reason", "lost_revenue"]].values.tolist() == [
        ["A", "price", 300.0], ["A", "delivery", 60.0],
        ["B", "service", 500.0], ["B", "other", 40.0]]
    assert table["cumulative_revenue_share"].tolist() == pytest.approx(
        [300 / 360, 1.0, 500 / 540, 1.0])


def test_without_archive_the_voice_decides(tmp_path):
    orders = orders_frame([("a", "2024-02-01", 200.0)])
    interactions = pd.DataFrame([("i1", "a", "2024-03-20", "exit_survey", "客服不理人", None)],
                                columns=["interaction_id", "customer_id", "ts", "kind", "text",
                                         "reason"])
    ws = make_workspace(tmp_path / "w2", orders=orders, interactions=interactions)
    detail = churn_reasons(ws, START, END, churn=CHURN)
    assert detail[["reason", "reason_source"]].values.tolist() == [["service", "exit_survey"]]
    ws.close()


def test_pareto_sorted_by_customers_and_counts():
    detail = pd.DataFrame({"customer_id": list("abcde"),
                           "reason": ["price", "price", "price", "quality", "quality"],
                           "lost_revenue": [1.0, 1.0, 1.0, 50.0, 50.0]})
    by_customers = pareto_table(detail, sort_by="customers")
    assert by_customers["reason"].tolist() == ["price", "quality"]
    assert by_customers["cumulative_customer_share"].tolist() == [0.6, 1.0]
    assert pareto_table(detail)["reason"].tolist() == ["quality", "price"]
    with pytest.raises(ConfigError, match="sort_by='money'"):
        pareto_table(detail, sort_by="money")


def test_empty_window_gives_empty_pareto(ws):
    table = reason_pareto(ws, "2020-01-01", "2020-02-01", churn=CHURN)
    assert table.empty
    assert "cumulative_revenue_share" in table.columns


def test_voice_drift_against_preceding_period(ws):
    # current [03-01, 06-01): service 3 (i1, i4, i5), quality i2, delivery i3, price i6 -> 6
    # previous [2023-11-30, 03-01): quality i8, price i9, billing i10 -> 3
    drift = reason_drift(ws, START, END)
    assert drift["reason"].tolist() == ["service", "delivery", "price", "quality", "billing"]
    assert drift["current_count"].tolist() == [3, 1, 1, 1, 0]
    assert drift["previous_count"].tolist() == [0, 0, 1, 1, 1]
    assert drift["change"].tolist() == pytest.approx([0.5, 1 / 6, -1 / 6, -1 / 6, -1 / 3])


def test_churn_drift_and_bad_source(ws):
    drift = reason_drift(ws, START, END, source="churn", churn=CHURN)
    # previous window [2023-11-30, 03-01): only f's churn (01-31), price from its complaint
    shares = drift.set_index("reason")[["previous_share", "current_share"]]
    assert shares.loc["price"].tolist() == [1.0, 0.25]
    assert shares.loc["other"].tolist() == [0.0, 0.25]
    assert drift["reason"].iloc[-1] == "price"
    with pytest.raises(ConfigError, match="source='tickets'"):
        reason_drift(ws, START, END, source="tickets")
    with pytest.raises(ConfigError, match="must be before end"):
        reason_pareto(ws, END, START)


def test_unreadable_exit_survey_falls_back_to_complaints_and_names_map_to_codes(tmp_path):
    orders = orders_frame([("a", "2024-02-01", 200.0), ("b", "2024-02-01", 100.0)])
    interactions = pd.DataFrame([
        ("i1", "a", "2024-03-20", "exit_survey", "谢谢，再见", None),   # says nothing
        ("i2", "a", "2024-02-10", "complaint", "发票又开错了", None),
        ("i3", "b", "2024-03-20", "exit_survey", None, "质量问题"),    # a Chinese name
    ], columns=["interaction_id", "customer_id", "ts", "kind", "text", "reason"])
    ws = make_workspace(tmp_path / "w3", orders=orders, interactions=interactions)
    ws.warehouse.replace("churn_archive", pa.table({
        "customer_id": ["b"], "churn_date": [date(2024, 3, 1)], "reason": ["  "]}))  # blank
    detail = churn_reasons(ws, START, END, churn=CHURN)
    ws.close()
    assert detail[["customer_id", "reason", "reason_source"]].values.tolist() == [
        ["a", "billing", "complaint"], ["b", "quality", "exit_survey"]]
