from __future__ import annotations

import numpy as np
import pytest

from churnguard.errors import SchemaError
from churnguard.value import BetaGeo, GammaGamma, clv


@pytest.fixture(scope="module")
def models(cdnow_calibration):
    return BetaGeo().fit(cdnow_calibration), GammaGamma().fit(cdnow_calibration)


def test_one_month_clv_is_discounted_purchases_times_spend(models, cdnow_calibration):
    bg, gg = models
    weeks_per_month = 365.25 / 12 / 7
    values = clv(bg, gg, months=1, discount_rate=0.01, margin=0.3)
    purchases = bg.predict_purchases(weeks_per_month).to_numpy()
    spend = gg.expected_spend(cdnow_calibration).to_numpy()
    assert values["clv"].to_numpy() == pytest.approx(purchases * spend * 0.3 / 1.01)
    assert values["customer_id"].tolist() == cdnow_calibration["customer_id"].tolist()


def test_undiscounted_clv_is_horizon_purchases_times_spend(models):
    bg, gg = models
    values = clv(bg, gg, months=12, discount_rate=0.0)
    horizon = bg.predict_purchases(12 * 365.25 / 12 / 7).to_numpy()
    assert values["expected_purchases"].to_numpy() == pytest.approx(horizon)
    assert values["clv"].to_numpy() == pytest.approx(horizon * values["expected_spend"])
    discounted = clv(bg, gg, months=12, discount_rate=0.01)
    assert np.all(discounted["clv"] < values["clv"])


def test_clv_errors(models):
    bg, gg = models
    with pytest.raises(SchemaError, match="months must be at least 1; received 0"):
        clv(bg, gg, months=0)
    with pytest.raises(SchemaError, match="time_unit='Y' is not one of D, W, M"):
        clv(bg, gg, time_unit="Y")


def test_explicit_time_unit_overrides_the_model(models):
    bg, gg = models
    assert bg.time_unit_ == "W"
    weekly = clv(bg, gg, months=3)
    assert clv(bg, gg, months=3, time_unit="W")["clv"].tolist() == weekly["clv"].tolist()
    daily = clv(bg, gg, months=3, time_unit="D")  # a month read as 30.4 weeks: far more value
    assert (daily["clv"] > weekly["clv"]).all()
