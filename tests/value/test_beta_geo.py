from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from churnguard.errors import NotFittedError, SchemaError
from churnguard.value import BetaGeo

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_LL = -9582.4


def _assert_published(model: BetaGeo) -> None:
    for name, value in PUBLISHED.items():
        assert model.params_[name] == pytest.approx(value, rel=0.01), name
    assert model.log_likelihood_ == pytest.approx(PUBLISHED_LL, rel=0.01)
    assert model.log_likelihood_ == pytest.approx(PUBLISHED_LL, abs=0.1)


def test_reproduces_fader_hardie_lee_on_published_summary(cdnow_summary):
    _assert_published(BetaGeo().fit(cdnow_summary))


def test_reproduces_fader_hardie_lee_on_own_rfm_summary(cdnow_calibration):
    assert len(cdnow_calibration) == 2357
    assert cdnow_calibration["frequency"].sum() == 2457
    model = BetaGeo().fit(cdnow_calibration)
    _assert_published(model)
    assert model.params_["r"] == pytest.approx(0.24259, abs=2e-5)


def test_summary_has_hessian_standard_errors(cdnow_summary):
    summary = BetaGeo().fit(cdnow_summary).summary()
    assert list(summary.index) == ["r", "alpha", "a", "b"]
    assert list(summary.columns) == ["estimate", "std_error", "lower_95", "upper_95",
                                     "identified"]
    # Standard errors of the same fit reported by lifetimes (autograd Hessian).
    assert summary["std_error"].to_numpy() == pytest.approx([0.012557, 0.378221, 0.185719,
                                                            0.705346], rel=1e-3)
    # log-scale Wald bounds: a = 0.793, se 0.1857 → 0.793 / exp(1.96 · 0.1857 / 0.793)
    a = summary.loc["a"]
    assert a["lower_95"] == pytest.approx(a["estimate"] / np.exp(1.959964 * 0.185719 / 0.79325),
                                          rel=1e-3)
    assert a["lower_95"] * a["upper_95"] == pytest.approx(a["estimate"] ** 2)
    assert summary["identified"].all()


def test_weights_give_the_same_fit_as_repeated_rows(cdnow_summary):
    patterns = cdnow_summary.groupby(["frequency", "recency", "T"], as_index=False).size()
    weighted = BetaGeo().fit(patterns, weights=patterns["size"].to_numpy())
    plain = BetaGeo().fit(cdnow_summary)
    assert weighted.params_.to_numpy() == pytest.approx(plain.params_.to_numpy(), rel=1e-6)
    assert weighted.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-9)


def test_predictions_follow_the_closed_forms(cdnow_summary):
    model = BetaGeo().fit(cdnow_summary)
    r, alpha, a, b = model.params_.to_numpy()
    row = pd.DataFrame({"customer_id": ["x"], "frequency": [2.0], "recency": [30.43],
                        "T": [38.86]})
    odds = a / (b + 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2)
    assert model.p_alive(row)["x"] == pytest.approx(1 / (1 + odds), rel=1e-10)
    head = (a + b + 1) / (a - 1)
    tail = 1 - ((alpha + 38.86) / (alpha + 38.86 + 10)) ** (r + 2) * hyp2f1(
        r + 2, b + 2, a + b + 1, 10 / (alpha + 38.86 + 10))
    expected = head * tail / (1 + odds)
    assert model.predict_purchases(10, row)["x"] == pytest.approx(expected, rel=1e-10)
    # Customers without repeat purchases are alive with certainty under BG/NBD.
    assert model.p_alive().to_numpy()[cdnow_summary["frequency"].to_numpy() == 0] == \
        pytest.approx(1.0)


def test_expected_purchases_curve_starts_at_zero_and_rises(cdnow_summary):
    curve = BetaGeo().fit(cdnow_summary).expected_purchases_curve([0, 10, 39, 78])
    assert curve["expected_purchases"].iloc[0] == 0
    assert np.all(np.diff(curve["expected_purchases"]) > 0)
    # lifetimes' expected_number_of_purchases_up_to_time(39) on the same fit
    assert curve["expected_purchases"].iloc[2] == pytest.approx(1.195016, rel=1e-5)


def test_unfitted_model_raises_not_fitted():
    with pytest.raises(NotFittedError, match=r"not fitted yet. Call BetaGeo\(\)\.fit"):
        BetaGeo().p_alive()
    with pytest.raises(NotFittedError, match="not fitted"):
        BetaGeo().summary()


def test_bad_input_says_what_to_fix():
    with pytest.raises(SchemaError, match="lacks column.*recency"):
        BetaGeo().fit(pd.DataFrame({"frequency": [1], "T": [3]}))
    bad = pd.DataFrame({"frequency": [1, 0], "recency": [5.0, 0], "T": [4.0, 4]})
    with pytest.raises(SchemaError, match="recency must lie between 0 and T"):
        BetaGeo().fit(bad)
    bad = pd.DataFrame({"frequency": [0, 1], "recency": [2.0, 1], "T": [4.0, 4]})
    with pytest.raises(SchemaError, match="frequency 0 must have recency 0"):
        BetaGeo().fit(bad)


def test_degenerate_data_is_refused_or_flagged():
    nobody_returns = pd.DataFrame({"frequency": [0, 0, 0], "recency": [0.0, 0, 0],
                                   "T": [5.0, 6, 7]})
    with pytest.raises(SchemaError, match="none of the 3 customers bought on two different"):
        BetaGeo().fit(nobody_returns)
    one = pd.DataFrame({"frequency": [1], "recency": [1.0], "T": [5.0]})
    with pytest.warns(UserWarning, match="extreme parameters.*penalizer"):
        BetaGeo().fit(one)
