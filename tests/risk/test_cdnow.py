"""A real transaction log: the CDNOW 1/10th sample (Fader, Hardie & Lee 2005).

Label "no purchase in the next 26 weeks" from 1997-12-31; the model is trained only on
snapshots whose label windows end by 1997-12-31 and must rank better than recency alone —
among the customers active on 1997-12-31 (a purchase in the last 180 days, the default churn
definition) and among all 2,357 customers.
"""

from __future__ import annotations

import pandas as pd
import pytest
from tests.factories import make_workspace

from churnguard.churn import Inactivity
from churnguard.errors import ConfigError
from churnguard.risk.backtest import backtest


@pytest.fixture(scope="module")
def cdnow(shared_data, tmp_path_factory):
    raw = pd.read_csv(shared_data / "cdnow-sample" / "CDNOW_sample.txt", sep=r"\s+",
                      header=None, names=["master_id", "customer_id", "date", "cds", "dollars"],
                      dtype={"date": str, "customer_id": str})
    orders = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(len(raw))], "customer_id": raw["customer_id"],
        "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"), "amount": raw["dollars"],
        "quantity": raw["cds"]})
    ws = make_workspace(tmp_path_factory.mktemp("cdnow") / "cdnow", orders=orders)
    yield ws
    ws.close()


def _beats_recency(table: pd.DataFrame, margin: float) -> None:
    model, recency = table.loc["churnguard"], table.loc["recency"]
    assert model["roc_auc"] > recency["roc_auc"] + margin
    assert model["pr_auc"] > recency["pr_auc"]
    assert model["emp"] > recency["emp"]


def test_cdnow_backtest_beats_recency(cdnow):
    result = backtest(cdnow, "1997-12-31", "1997-12-31", 182, churn=Inactivity(days=180),
                      label="no_purchase", snapshots=4)
    assert result.details["evaluated"] == 609  # bought in the 180 days before 1997-12-31
    assert 0.4 < result.details["churn_rate"] < 0.55
    # Learnt at once, the 26-week labels keep the snapshots before July 1997, when every
    # customer was 3-6 months old: the features against the customer's own past (which need
    # 270 days of tenure) are never seen in training. The model still ranks better than
    # recency overall and is worth more (EMP), but its top is no purer than recency's
    # (pr_auc 0.566 vs 0.580, lift@10 1.13 vs 1.24); the chained model below is the one that
    # beats recency on every measure.
    model, recency = result.table.loc["churnguard"], result.table.loc["recency"]
    assert model["roc_auc"] > recency["roc_auc"] + 0.02
    assert model["emp"] > recency["emp"]


def test_cdnow_chained_backtest_beats_recency_on_every_customer(cdnow):
    # Every customer (no one lapses in ten years), 78 % of whom do not buy in the 26 weeks.
    # 26-week labels would keep the training snapshots before July 1997, when nobody had been
    # silent for more than ~180 days; 30-day steps chained over the horizon let the monthly
    # snapshots run from March to December, as old and as silent as the customers scored.
    result = backtest(cdnow, "1997-12-31", "1997-12-31", 182, churn=Inactivity(days=3650),
                      label="no_purchase", snapshots=10, spacing_days=30, step_days=30)
    assert result.details["evaluated"] == 2357
    assert 0.75 < result.details["churn_rate"] < 0.8
    assert result.model.horizon_days_ == 30
    assert max(result.model.training_dates_).isoformat() == "1997-12-01"
    _beats_recency(result.table, 0.005)
    with pytest.raises(ConfigError, match="step_days=30 needs label='no_purchase'"):
        backtest(cdnow, "1997-12-31", "1997-12-31", 182, step_days=30)
