"""The reasons analytics run unchanged on the PySpark warehouse."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa
import pytest

from churnguard import Workspace
from churnguard.churn import Inactivity
from churnguard.reasons import churn_reasons, nps_summary

pytestmark = pytest.mark.spark


def test_churn_reasons_and_nps_on_spark(spark, tmp_path):
    ws = Workspace.create(tmp_path / "sp", warehouse="pyspark")
    ws.load("customers", pd.DataFrame({"customer_id": ["a", "b"], "segment": ["A", None]}))
    ws.load("orders", pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "b"],
                                    "order_date": ["2024-01-10", "2024-02-01"],
                                    "amount": [100.0, 50.0]}))
    ws.load("interactions", pd.DataFrame({
        "interaction_id": ["1", "2", "3", "4"], "customer_id": ["a", "b", "a", "a"],
        "ts": ["2024-02-20", "2024-03-01", "2024-01-05", "2024-01-06"],
        "kind": ["exit_survey", "complaint", "nps", "survey"],
        "text": ["太贵了", "late delivery", None, None], "score": [None, None, 9.0, 4.0]}))
    ws.warehouse.replace("churn_archive", pa.table({
        "customer_id": ["b"], "churn_date": [date(2024, 3, 5)], "reason": ["competitor"]}))
    detail = churn_reasons(ws, "2024-01-01", "2024-06-01", churn=Inactivity(days=30))
    # a: last order 01-10 + 30 days; b: 02-01 + 30 days (2024 is a leap year)
    assert detail[["customer_id", "reason", "reason_source", "lost_revenue"]].values.tolist() \
        == [["a", "price", "exit_survey", 100.0], ["b", "competitor", "archive", 50.0]]
    nps = nps_summary(ws, "2024-01-01", "2024-03-01", by="segment")
    assert nps[["segment", "responses", "nps"]].values.tolist()[0] == ["A", 1, 100.0]
