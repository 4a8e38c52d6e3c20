from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from tests.factories import make_workspace, orders_frame

from churnguard.errors import SchemaError
from churnguard.value import rfm_summary

ROWS = [
    ("a", "2024-01-01 09:00", 10.0), ("a", "2024-01-01 17:30", 15.0),  # same day: one purchase
    ("a", "2024-01-11", 30.0), ("a", "2024-01-31", 50.0),
    ("b", "2024-02-19", 20.0),                                            # one-time buyer
    ("c", "2024-02-01 12:00", 5.0), ("c", "2024-02-01 09:00", 7.0),      # one day, two orders
    ("c", "2024-03-01", 99.0), ("c", "2024-03-05", 99.0),                # on/after as_of: unused
    ("d", "2024-01-10", 100.0), ("d", "2024-01-20", -40.0),              # a return is no purchase
    ("e", "2024-04-01", 10.0),                                            # only after as_of
]

# Observation ends 2024-02-29 (the day before as_of, a leap day).
EXPECTED_DAYS = pd.DataFrame({
    "customer_id": ["a", "b", "c", "d"],
    "frequency": [2.0, 0.0, 0.0, 0.0],
    "recency": [30.0, 0.0, 0.0, 0.0],
    "T": [59.0, 10.0, 28.0, 50.0],
    "monetary": [40.0, 0.0, 0.0, 0.0],
})


def _orders() -> pd.DataFrame:
    frame = orders_frame(ROWS)
    frame["order_date"] = pd.to_datetime(frame["order_date"], format="mixed")
    return frame


def test_hand_computed_summary_in_days():
    summary = rfm_summary(_orders(), as_of="2024-03-01")
    assert_frame_equal(summary, EXPECTED_DAYS)
    assert summary.attrs["time_unit"] == "D"


def test_weeks_and_months_rescale_recency_and_t_only():
    weeks = rfm_summary(_orders(), as_of="2024-03-01", time_unit="W")
    assert weeks["frequency"].tolist() == EXPECTED_DAYS["frequency"].tolist()
    assert weeks["recency"].tolist() == pytest.approx([30 / 7, 0, 0, 0])
    assert weeks["T"].tolist() == pytest.approx([59 / 7, 10 / 7, 4.0, 50 / 7])
    months = rfm_summary(_orders(), as_of="2024-03-01", time_unit="M")
    assert months["T"].iloc[0] == pytest.approx(59 / 30.4375)


def test_workspace_input_gives_the_same_summary(tmp_path):
    ws = make_workspace(tmp_path / "ws", orders=_orders())
    try:
        assert_frame_equal(rfm_summary(ws, as_of="2024-03-01"), EXPECTED_DAYS)
    finally:
        ws.close()


def test_custom_column_names():
    frame = _orders().rename(columns={"customer_id": "客户", "order_date": "日期",
                                      "amount": "金额"})
    summary = rfm_summary(frame, as_of="2024-03-01", customer_id_col="客户", date_col="日期",
                          amount_col="金额")
    assert_frame_equal(summary, EXPECTED_DAYS)


def test_missing_column_message():
    with pytest.raises(SchemaError, match=r"amount_col='revenue'.*Pass the right \*_col"):
        rfm_summary(_orders(), as_of="2024-03-01", amount_col="revenue")
    with pytest.raises(SchemaError, match="time_unit='Y' is not one of D, W, M"):
        rfm_summary(_orders(), as_of="2024-03-01", time_unit="Y")


def test_matches_lifetimes_on_cdnow(cdnow_orders, cdnow_calibration):
    utils = pytest.importorskip("lifetimes.utils")
    theirs = utils.summary_data_from_transaction_data(
        cdnow_orders, "customer_id", "order_date", monetary_value_col="amount",
        observation_period_end="1997-09-30", freq="D", freq_multiplier=7)
    ours = cdnow_calibration.set_index("customer_id").loc[theirs.index]
    assert ours["frequency"].to_numpy() == pytest.approx(theirs["frequency"].to_numpy())
    assert ours["recency"].to_numpy() == pytest.approx(theirs["recency"].to_numpy())
    assert ours["T"].to_numpy() == pytest.approx(theirs["T"].to_numpy())
    assert ours["monetary"].to_numpy() == pytest.approx(theirs["monetary_value"].to_numpy())


def test_polars_input():
    polars = pytest.importorskip("polars")
    summary = rfm_summary(polars.from_pandas(_orders()), as_of="2024-03-01")
    assert_frame_equal(summary, EXPECTED_DAYS)
