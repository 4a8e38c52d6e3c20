"""A real transaction log: the CDNOW 1/10th sample (Fader, Hardie & Lee 2005).

Customers active on 1997-12-31 (a purchase in the last 180 days, the default churn
definition), label "no purchase in the next 26 weeks"; the model is trained only on snapshots
whose 26-week label windows end by 1997-12-31 and must rank better than recency alone.
"""

from __future__ import annotations

import pandas as pd
from tests.factories import make_workspace

from churnguard.churn import Inactivity
from churnguard.risk.backtest import backtest


def test_cdnow_backtest_beats_recency(shared_data, tmp_path):
    raw = pd.read_csv(shared_data / "cdnow-sample" / "CDNOW_sample.txt", sep=r"\s+",
                      header=None, names=["master_id", "customer_id", "date", "cds", "dollars"],
                      dtype={"date": str, "customer_id": str})
    orders = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(len(raw))], "customer_id": raw["customer_id"],
        "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"), "amount": raw["dollars"],
        "quantity": raw["cds"]})
    ws = make_workspace(tmp_path / "cdnow", orders=orders)
    result = backtest(ws, "1997-12-31", "1997-12-31", 182, churn=Inactivity(days=180),
                      label="no_purchase", snapshots=4)
    table = result.table
    assert result.details["evaluated"] == 609  # bought in the 180 days before 1997-12-31
    assert 0.4 < result.details["churn_rate"] < 0.55
    model, recency = table.loc["churnguard"], table.loc["recency"]
    assert model["roc_auc"] > recency["roc_auc"] + 0.02
    assert model["pr_auc"] > recency["pr_auc"]
    assert model["lift_at_10"] > recency["lift_at_10"]
    assert model["emp"] > recency["emp"]
    ws.close()
