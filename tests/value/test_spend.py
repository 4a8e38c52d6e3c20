"""The shrinkage spend estimator and spend_summary against hand computations."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from churnguard.errors import NotFittedError, SchemaError
from churnguard.value import ShrinkageSpend, spend_summary

# a: two purchases of 10 and 40 (same-day orders are one purchase: 25 + 15 = 40)
# b: one purchase of 5 (its return, a negative amount, is not a purchase)
# c: three purchases of 20
ORDERS = pd.DataFrame({
    "customer_id": ["a", "a", "a", "b", "b", "c", "c", "c", "c"],
    "order_date": pd.to_datetime(["2024-01-02", "2024-02-01", "2024-02-01", "2024-01-05",
                                  "2024-01-09", "2024-01-03", "2024-01-10", "2024-01-17",
                                  "2024-03-01"]),
    "amount": [10.0, 25.0, 15.0, 5.0, -5.0, 20.0, 20.0, 20.0, 99.0]})


def test_spend_summary_counts_every_purchase_day_before_as_of():
    summary = spend_summary(ORDERS, as_of="2024-03-01").set_index("customer_id")
    assert summary["purchases"].to_dict() == {"a": 2, "b": 1, "c": 3}
    assert summary.loc["a", "mean_log_spend"] == pytest.approx(math.log(20.0))  # √(10·40)
    assert summary.loc["a", "log_spend_ss"] == pytest.approx(2 * math.log(2) ** 2)
    assert summary.loc["c", "log_spend_ss"] == pytest.approx(0.0)
    assert summary.loc["b", "mean_spend"] == pytest.approx(5.0)


def test_shrinkage_matches_the_hand_computation():
    model = ShrinkageSpend().fit(spend_summary(ORDERS, as_of="2024-03-01"))
    log = math.log
    sigma2 = 2 * log(2) ** 2 / (1 + 0 + 2)                       # pooled within-customer
    mu = (log(20) + log(5) + log(20)) / 3
    spread = ((log(20) - mu) ** 2 * 2 + (log(5) - mu) ** 2) / 3
    tau2 = spread - sigma2 * (1 / 2 + 1 / 1 + 1 / 3) / 3         # 0.231329
    assert model.within_var_ == pytest.approx(sigma2)
    assert model.mu_ == pytest.approx(mu)
    assert model.between_var_ == pytest.approx(tau2)
    assert tau2 == pytest.approx(0.2313292, abs=1e-7)
    weight = tau2 / (tau2 + sigma2)                               # b: one purchase
    theta = mu + weight * (log(5) - mu)
    expected_b = math.exp(theta + weight * sigma2 / 2 + sigma2 / 2)
    spend = model.expected_spend(spend_summary(ORDERS, as_of="2024-03-01"))
    assert spend.tolist() == pytest.approx([20.371981, expected_b, 21.041217], rel=1e-6)
    assert expected_b == pytest.approx(10.733601, rel=1e-6)  # pulled up from 5 toward 20
    assert model.mean_spend() == pytest.approx(math.exp(mu + tau2 / 2 + sigma2 / 2))


def test_segments_shrink_toward_their_own_mean():
    data = pd.DataFrame({"purchases": [1, 1, 1, 1, 2, 2],
                         "mean_log_spend": [1.0, 1.2, 0.8, 5.0, 5.2, 4.8],
                         "log_spend_ss": [0, 0, 0, 0, 0.1, 0.1],
                         "segment": ["s", "s", "s", "l", "l", "l"]})
    model = ShrinkageSpend(segment_col="segment", min_segment=3).fit(data)
    assert model.segment_means_.to_dict() == pytest.approx({"l": 5.0, "s": 1.0})
    plain = ShrinkageSpend().fit(data.drop(columns="segment"))
    assert model.between_var_ < plain.between_var_  # segments explain most of the spread
    prior = model.expected_spend(pd.DataFrame({"purchases": [0, 0], "mean_log_spend": [None] * 2,
                                               "segment": ["s", "l"]}))
    assert prior.iloc[1] / prior.iloc[0] == pytest.approx(math.exp(4.0))


def test_shrinkage_errors():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        ShrinkageSpend().expected_spend(pd.DataFrame({"purchases": [1],
                                                      "mean_log_spend": [1.0]}))
    with pytest.raises(SchemaError, match="lacks column"):
        ShrinkageSpend().fit(pd.DataFrame({"purchases": [1]}))
    with pytest.raises(SchemaError, match="no purchase|none was found"):
        ShrinkageSpend().fit(pd.DataFrame({"purchases": [0], "mean_log_spend": [None]}))


def test_value_inputs_carry_the_same_spend_statistics():
    from churnguard.value import rfm_summary
    from churnguard.value.valuation import value_inputs

    data = value_inputs(ORDERS, as_of="2024-03-01")
    spend = spend_summary(ORDERS, as_of="2024-03-01")
    rfm = rfm_summary(ORDERS, as_of="2024-03-01", time_unit="W")
    for column in ("purchases", "mean_log_spend", "log_spend_ss", "mean_spend"):
        assert data[column].tolist() == pytest.approx(spend[column].tolist())
    for column in ("frequency", "recency", "T", "monetary"):
        assert data[column].tolist() == pytest.approx(rfm[column].tolist())
