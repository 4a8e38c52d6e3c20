"""The health score agrees with its dimensions: the overall is the dimensions' mean on the
log-odds scale, equals 100 · (1 − p_churn) and lies between the weakest and strongest one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnguard.risk import ChurnRiskModel
from churnguard.risk.health import combine_dimensions, health_scores, weakest_dimension


def _sigmoid(z):  # noqa: ANN001, ANN202
    return 1 / (1 + np.exp(-np.asarray(z, dtype="float64")))


def _health(z: float) -> float:
    return round(100 * (1 - float(_sigmoid(z))), 1)


DIMENSION_OF = {"recency_days": "purchasing", "spend_change_90d": "spend",
                "complaints_90d": "service", "days_late_mean": "payment",
                "tenure_days": "relationship"}


def test_five_mildly_weak_dimensions_no_longer_read_healthy_beside_a_low_overall():
    # baseline −6 (the average customer is safe), each dimension +1.5: the old breakdown
    # (baseline + one dimension) gave every dimension 98.9 beside an overall of 18.2
    parts = pd.DataFrame({name: [1.5] for name in DIMENSION_OF} | {"(baseline)": [-6.0]})
    health = combine_dimensions(parts, _sigmoid, DIMENSION_OF).iloc[0]
    assert _health(-6 + 1.5) == 98.9  # what the old definition showed per dimension
    assert health["health_score"] == _health(-6 + 5 * 1.5) == 18.2
    for dimension in ("purchasing", "spend", "service", "payment", "relationship"):
        assert health[f"health_{dimension}"] == 18.2  # −6 + 5 · 1.5, each the same


def test_overall_is_the_mean_of_the_dimensions_on_the_log_odds_scale():
    parts = pd.DataFrame({"recency_days": [4.0, 0.0], "spend_change_90d": [0.5, 0.0],
                          "complaints_90d": [-1.0, 0.0], "days_late_mean": [0.0, 0.0],
                          "tenure_days": [-0.5, 0.0], "(baseline)": [-3.0, -3.0]})
    health = combine_dimensions(parts, _sigmoid, DIMENSION_OF)
    first = health.iloc[0]
    # D = 5: purchasing −3 + 20 = 17, spend −0.5, service −8, payment −3, relationship −5.5
    assert first["health_purchasing"] == _health(17) == 0.0
    assert first["health_spend"] == _health(-0.5) == 62.2
    assert first["health_service"] == _health(-8) == 100.0
    assert first["health_payment"] == _health(-3) == 95.3
    assert first["health_relationship"] == _health(-5.5) == 99.6
    # mean (17 − 0.5 − 8 − 3 − 5.5) / 5 = 0 = −3 + 4 + 0.5 − 1 + 0 − 0.5
    assert first["health_score"] == 50.0
    assert weakest_dimension(health).iloc[0] == "purchasing"
    # an average customer is average everywhere
    assert health.iloc[1].tolist() == [95.3] * 6


def test_dimensions_without_columns_are_empty_and_not_averaged():
    parts = pd.DataFrame({"recency_days": [2.0], "complaints_90d": [-1.0],
                          "(baseline)": [-1.0]})
    health = combine_dimensions(parts, _sigmoid, {"recency_days": "purchasing",
                                                  "complaints_90d": "service"}).iloc[0]
    assert np.isnan(health["health_spend"]) and np.isnan(health["health_payment"])
    assert health["health_purchasing"] == _health(3) and health["health_service"] == _health(-3)
    assert health["health_score"] == _health(-1 + 2 - 1) == 50.0


@pytest.fixture(scope="module")
def fitted():  # noqa: ANN201
    rng = np.random.default_rng(7)
    n = 800
    X = pd.DataFrame({"recency_days": rng.integers(1, 400, n),
                      "orders_change_90d": rng.normal(0, 1, n),
                      "complaints_90d": rng.integers(0, 4, n),
                      "days_late_mean": rng.exponential(5, n),
                      "my_own_signal": rng.normal(0, 1, n)})
    logit = -2 + X.recency_days / 100 + 0.6 * X.complaints_90d + 0.1 * X.days_late_mean
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return ChurnRiskModel(n_estimators=80).fit(X, y), X


def test_a_fitted_model_overall_equals_one_minus_p_churn_and_lies_between_dimensions(fitted):
    model, X = fitted
    health = health_scores(model, X)
    np.testing.assert_allclose(health["health_score"],
                               np.round(100 * model.predict_proba(X)[:, 0], 1), atol=0.051)
    dims = health.drop(columns="health_score")
    assert "health_other" in dims  # my_own_signal is outside the catalogue
    assert (health["health_score"] >= dims.min(axis=1) - 0.05).all()
    assert (health["health_score"] <= dims.max(axis=1) + 0.05).all()
    # a real spread, not everyone at the same level
    assert health["health_score"].std() > 10
