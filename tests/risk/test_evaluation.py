from __future__ import annotations

import numpy as np
import pytest

from churnguard.errors import SchemaError
from churnguard.risk import (
    calibration_table,
    capture_at,
    expected_maximum_profit,
    lift_at,
    lift_curve,
    score_metrics,
)

Y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1])
P = np.array([.95, .9, .8, .7, .6, .5, .4, .3, .2, .1])


def test_lift_and_capture_by_hand():
    # top 10% = 1 customer (a churner): rate 1 / base 0.3
    assert lift_at(Y, P, 0.1) == pytest.approx(1 / 0.3)
    # top 20% = 2 customers, 1 churner
    assert lift_at(Y, P, 0.2) == pytest.approx(0.5 / 0.3)
    assert capture_at(Y, P, 0.3) == pytest.approx(2 / 3)
    assert capture_at(Y, P, 1.0) == 1.0
    curve = lift_curve(Y, P, points=10)
    assert curve["capture"].tolist()[:3] == pytest.approx([1 / 3, 1 / 3, 2 / 3])


def test_calibration_table_by_hand():
    table = calibration_table(Y, P, bins=2)
    assert table["customers"].tolist() == [5, 5]
    assert table["observed"].tolist() == pytest.approx([0.2, 0.4])
    assert table["predicted"].tolist() == pytest.approx([0.3, 0.79])


def test_expected_maximum_profit_by_hand():
    # Fixed acceptance 0.3, CLV 200, d 10, f 1: delta=.05, phi=.005.
    # Contacting the top 1 (a churner): 200*(0.3*0.95-0.005)*0.3*(1/3) = 5.6;
    # top 3 (2 churners, 1 other): 200*0.28*0.3*(2/3) - 200*0.055*0.7*(1/7) = 11.2 - 1.1 = 10.1
    # all ten: 200*0.28*0.3 - 200*0.055*0.7 = 16.8 - 7.7 = 9.1; so the best is 10.1.
    result = expected_maximum_profit(Y, P, acceptance=0.3)
    assert result["emp"] == pytest.approx(10.1)
    assert result["share_targeted"] == pytest.approx(0.3)
    # a useless offer (acceptance 0) is never worth sending: profit 0 by contacting nobody
    assert expected_maximum_profit(Y, P, acceptance=0.0)["emp"] == 0.0
    # with uncertainty about acceptance, EMP lies between the extremes
    beta = expected_maximum_profit(Y, P)["emp"]
    assert 0 < beta < expected_maximum_profit(Y, P, acceptance=1.0)["emp"]


def test_score_metrics_and_errors():
    metrics = score_metrics(Y, P, acceptance=0.3)
    assert metrics["emp"] == pytest.approx(10.1)
    # churners score .95 (above all 7 others), .8 (above 6), .1 (above none): 13 of 21 pairs
    assert metrics["roc_auc"] == pytest.approx(13 / 21)
    assert metrics["brier"] == pytest.approx(np.mean((P - Y) ** 2))
    with pytest.raises(SchemaError, match="0 \\(stayed\\) and 1"):
        lift_at([2, 0], [0.1, 0.2], 0.5)
    with pytest.raises(SchemaError, match="top 10%"):
        lift_at(Y, P, 0)
