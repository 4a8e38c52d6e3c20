"""Fits that cannot be trusted say so (FitWarning, ``diagnostics_``) and fall back."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from churnguard.value import (
    BetaGeo,
    FitWarning,
    GammaGamma,
    ShrinkageSpend,
    customer_value,
    fit_spend_model,
)
from churnguard.value.diagnostics import log_interval, unidentified


def heavy_tailed_spend() -> pd.DataFrame:
    """80 repeat buyers whose mean spends follow a Pareto tail of index 0.5 (infinite mean)
    and one one-time buyer, with the spend-summary columns the shrinkage estimator reads."""
    u = (np.arange(80) + 0.5) / 80
    monetary = np.random.default_rng(0).permutation(10 * u ** (-1 / 0.5))
    frequency = np.tile([1.0, 2, 3, 4, 5], 16)
    return pd.DataFrame({
        "customer_id": [f"c{i:02d}" for i in range(81)],
        "frequency": [*frequency, 0.0], "monetary": [*monetary, 0.0],
        "purchases": [*(frequency + 1), 1], "mean_log_spend": [*np.log(monetary), np.log(70.0)],
        "log_spend_ss": [*np.full(80, 0.2), 0.0]})


def regular_buyers() -> pd.DataFrame:
    """24 customers buying like clockwork until the end: no sign of dropout, so a → 0."""
    rows = []
    for i, gap in enumerate([7, 10, 14, 21, 30, 5, 9, 12] * 3):
        n = 180 // gap
        rows.append({"customer_id": f"r{i:02d}", "frequency": float(n),
                     "recency": float(n * gap), "T": float(n * gap + i % 3)})
    return pd.DataFrame(rows)


def test_gamma_gamma_q_below_one_warns_and_the_chooser_falls_back():
    data = heavy_tailed_spend()
    with pytest.warns(FitWarning, match=r"q = 0\.\d+ <= 1, so the population mean spend"):
        spend = fit_spend_model(data)
    assert spend.gamma_gamma_.params_["q"] <= 1
    assert "infinite_mean_spend" in {d.code for d in spend.gamma_gamma_.diagnostics_}
    assert spend.estimator_ == "shrinkage" and isinstance(spend, ShrinkageSpend)
    assert "infinite_mean_spend" in spend.reason_
    expected = spend.expected_spend(data)
    assert np.isfinite(expected).all()
    # the one-time buyer of one ¥70 order is priced between its own order and the typical
    # customer, not at an infinite (or absurd) population mean
    one_time = expected.iloc[-1]
    assert 70 * 0.5 < one_time < np.exp(data["mean_log_spend"]).max()
    assert GammaGamma().fit(data).mean_spend() == float("inf")


def test_beta_geo_a_to_zero_warns_and_stays_finite():
    data = regular_buyers()
    with pytest.warns(FitWarning, match="parameter a = .* is not identified"):
        model = BetaGeo().fit(data)
    assert model.params_["a"] < 1e-4
    codes = {d.code for d in model.diagnostics_}
    assert {"not_identified", "extreme_parameters"} <= codes
    assert not model.summary().loc["a", "identified"]
    purchases = model.predict_purchases(30.0, data).to_numpy()
    bound = (model.p_alive(data) * model.purchase_rate_if_retained(data)).to_numpy() * 30
    assert np.isfinite(purchases).all()
    assert purchases == pytest.approx(bound, rel=1e-3)  # no dropout: the rate times t


def test_customer_value_reports_the_warnings_and_still_emits_them():
    start = pd.Timestamp("2024-01-01")
    rows = []
    for customer in regular_buyers().itertuples():
        gap = int(customer.recency // customer.frequency)
        for k in range(int(customer.frequency) + 1):
            rows.append((customer.customer_id, start + pd.Timedelta(days=k * gap),
                         20.0 + 5 * (k % 3) + int(customer.customer_id[1:])))
    orders = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    with pytest.warns(FitWarning) as caught:
        values = customer_value(orders, "2024-07-05", months=3, margin=0.5)
    messages = [str(w.message) for w in caught if w.category is FitWarning]
    assert any("BetaGeo: parameter a" in m for m in messages)
    assert set(values.attrs["warnings"]) <= set(messages)
    assert any("BetaGeo: parameter a" in m for m in values.attrs["warnings"])
    assert values[["clv", "value_if_retained", "expected_spend"]].notna().all().all()
    assert (values["value_if_retained"] >= values["clv"] - 1e-9).all()


def test_log_scale_interval_never_negative():
    lower, upper = log_interval(np.array([0.003, 2.0]), np.array([0.010, 0.5]))
    assert (lower > 0).all()
    assert lower[1] == pytest.approx(2.0 / np.exp(1.959964 * 0.25))
    assert upper[1] == pytest.approx(2.0 * np.exp(1.959964 * 0.25))


def test_identification_rules():
    # a = 0.003 ± 0.010 (the real retailer's fit): the Wald interval includes 0
    # b: interval does not include 0 but se/θ = 1.2 spans more than a factor of 100
    # r: well identified
    found = unidentified(["a", "b", "r"], np.array([0.003, 10.0, 0.24]),
                         np.array([0.010, 4.9, 0.01]), model="BetaGeo")
    assert [(d.parameter, d.code) for d in found] == [("a", "not_identified")]
    found = unidentified(["b"], np.array([10.0]), np.array([12.0]), model="X")
    assert "includes 0" in found[0].message
    assert unidentified(["n"], np.array([1.0]), np.array([np.nan]), model="X")[0].parameter \
        == "n"


def test_a_good_fit_has_no_diagnostics(cdnow_calibration):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitWarning)
        bg = BetaGeo().fit(cdnow_calibration)
        spend = fit_spend_model(cdnow_calibration.assign(
            purchases=cdnow_calibration["frequency"] + 1, mean_log_spend=0.0))
    assert bg.diagnostics_ == [] and spend.estimator_ == "gamma_gamma"
