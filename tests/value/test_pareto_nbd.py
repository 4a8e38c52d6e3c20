from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnguard.errors import NotFittedError
from churnguard.value import ParetoNBD

# The values PyMC-Marketing's tests pin for the CDNOW calibration summary.
PINNED = {"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562}


def test_reproduces_pinned_parameters(cdnow_summary):
    model = ParetoNBD().fit(cdnow_summary)
    for name, value in PINNED.items():
        assert model.params_[name] == pytest.approx(value, rel=0.01), name
    # Fader, Hardie & Lee (2005) report LL = -9595.0 for Pareto/NBD on this sample.
    assert model.log_likelihood_ == pytest.approx(-9595.0, abs=0.1)
    assert set(model.summary()["std_error"].round(6) > 0) == {True}


def test_predictions_are_sensible(cdnow_summary):
    model = ParetoNBD().fit(cdnow_summary)
    rows = pd.DataFrame({"frequency": [0.0, 5.0, 5.0], "recency": [0.0, 38.0, 5.0],
                         "T": [38.0, 38.0, 38.0]})
    alive = model.p_alive(rows).to_numpy()
    assert 0 < alive[2] < alive[0] < alive[1] <= 1  # gone quiet long ago is least alive
    purchases = model.predict_purchases(52, rows).to_numpy()
    assert purchases[1] > purchases[0] > 0
    curve = model.expected_purchases_curve([0, 39])
    assert curve["expected_purchases"].tolist()[0] == 0


def test_unfitted_pareto_raises():
    with pytest.raises(NotFittedError, match="ParetoNBD"):
        ParetoNBD().predict_purchases(10)


def test_recovers_a_simulated_homogeneous_dropout_rate():
    # Purchase rates ~ Gamma(2, 0.5) (mean 1 a week); every customer's lifetime is exponential
    # with mean 20 weeks, so s and beta grow large together with beta / s -> 20.
    rng = np.random.default_rng(3)
    n = 3000
    rates, lives = rng.gamma(2.0, 0.5, n), rng.exponential(20.0, n)
    active = np.minimum(lives, 52.0)
    repeat = rng.poisson(rates * active)
    last = np.where(repeat > 0, active * rng.uniform(size=n) ** (1 / np.maximum(repeat, 1)), 0.0)
    data = pd.DataFrame({"frequency": repeat.astype(float), "recency": last, "T": 52.0})
    with pytest.warns(UserWarning, match="reached the bound e"):
        model = ParetoNBD().fit(data)
    r, alpha, s, beta = model.params_.to_numpy()
    assert r / alpha == pytest.approx(1.0, rel=0.05)
    assert beta / s == pytest.approx(20.0, rel=0.05)
    assert s > 100
    assert np.all(np.isfinite(model.p_alive().to_numpy()))
