from __future__ import annotations

import pandas as pd
import pytest

from churnguard.errors import NotFittedError, SchemaError
from churnguard.value import GammaGamma, frequency_monetary_independence

PUBLISHED = {"p": 6.25, "q": 3.74, "v": 15.44}


def test_reproduces_published_estimates_on_946_repeat_buyers(cdnow_calibration):
    model = GammaGamma().fit(cdnow_calibration)
    assert model.n_customers_ == 946
    for name, value in PUBLISHED.items():
        assert model.params_[name] == pytest.approx(value, rel=0.02), name
    assert model.independence_["independent"]
    assert model.independence_["pearson"] == pytest.approx(0.1139, abs=1e-3)


def test_expected_spend_is_the_posterior_mean():
    data = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"],
                         "frequency": [1.0, 2, 3, 4, 0], "monetary": [20.0, 30, 10, 25, 0]})
    model = GammaGamma().fit(data)
    p, q, v = model.params_.to_numpy()
    spend = model.expected_spend(data)
    assert spend["b"] == pytest.approx(p * (v + 2 * 30) / (2 * p + q - 1))
    assert spend["e"] == pytest.approx(p * v / (q - 1)) == pytest.approx(model.mean_spend())


def test_independence_check_flags_correlated_spend():
    data = pd.DataFrame({"frequency": [1, 2, 3, 4, 5, 6], "monetary": [5.0, 9, 16, 19, 26, 30]})
    check = frequency_monetary_independence(data)
    assert not check["independent"]
    assert check["pearson"] > 0.99
    with pytest.warns(UserWarning, match="correlated"):
        GammaGamma().fit(data)


def test_errors():
    with pytest.raises(NotFittedError, match="GammaGamma"):
        GammaGamma().expected_spend()
    with pytest.raises(SchemaError, match="needs repeat buyers"):
        GammaGamma().fit(pd.DataFrame({"frequency": [0, 1], "monetary": [0.0, 5]}))
    data = pd.DataFrame({"frequency": [1, 2, 3], "monetary": [5.0, -1, 4]})
    with pytest.raises(SchemaError, match="monetary must be positive"):
        GammaGamma().fit(data)
