"""Calibrated probabilities stay inside (0, 1), keep the model's order and stay calibrated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnguard.risk import ChurnRiskModel
from churnguard.risk.calibration import IsotonicCalibrator, PlattCalibrator
from churnguard.risk.evaluation import calibration_table


def test_isotonic_step_of_all_churners_is_not_certain():
    # scores 0..9: four stayers, then six churners; the top step is 6 of 6
    score = np.arange(10.0)
    target = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    cal = IsotonicCalibrator().fit(score, target)
    assert cal.values_.tolist() == pytest.approx([0.5 / 5, 6.5 / 7])  # (k + ½) / (m + 1)
    p = cal.predict(np.array([-50.0, 1.5, 4.0, 6.5, 50.0]))
    assert ((p > 0) & (p < 1)).all()
    assert p[3] == pytest.approx(6.5 / 7)  # the top step's mean score
    assert np.all(np.diff(p) > 0)  # strictly increasing: no ties from calibration


def test_platt_is_bounded_by_the_calibration_set_size():
    rng = np.random.default_rng(3)
    score = rng.normal(0, 3, 98)
    target = (score > 0).astype(int)  # separable: an unbounded fit would say 0 and 1
    cal = PlattCalibrator().fit(score, target)
    p = cal.predict(np.array([-1e6, 0.0, 1e6]))
    assert p[0] == pytest.approx(1 / 100) and p[2] == pytest.approx(1 - 1 / 100)


@pytest.mark.parametrize("calibration", ["isotonic", "sigmoid"])
def test_model_probabilities_never_saturate_and_stay_calibrated(calibration):
    rng = np.random.default_rng(0)
    n = 30_000
    X = pd.DataFrame({"silence": rng.exponential(60, n), "complaints": rng.poisson(0.4, n)})
    logit = (X["silence"] - 120) / 20 + 1.2 * X["complaints"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    model = ChurnRiskModel(calibration=calibration, n_estimators=300).fit(X, y)
    assert model.calibration_ == calibration
    p = model.predict_proba(X)[:, 1]
    assert p.min() > 0 and p.max() < 1  # some rows are certain churners by this logit
    assert p.max() < 1 - 1 / (0.2 * n + 2) + 1e-12
    table = calibration_table(y, p, bins=10)
    gap = (table["observed"] - table["predicted"]).abs()
    assert (gap * table["customers"]).sum() / n < 0.02  # expected calibration error
