"""CDNOW fixtures for the value tests (read from the shared data folder, never copied)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest


@pytest.fixture(scope="session")
def cdnow_summary(shared_data: Path) -> pd.DataFrame:
    """The published 39-week calibration summary (weeks)."""
    path = shared_data / "cdnow-sample" / "cdnow_customers_summary.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return pd.read_csv(path)


@pytest.fixture(scope="session")
def cdnow_orders(shared_data: Path) -> pd.DataFrame:
    """The raw CDNOW sample as orders: customer_id, order_date, amount."""
    path = shared_data / "cdnow-sample" / "CDNOW_sample.txt"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    raw = pd.read_csv(path, sep=r"\s+", header=None, dtype={"date": str},
                      names=["master_id", "customer_id", "date", "cds", "amount"])
    return pd.DataFrame({"customer_id": raw["customer_id"].astype(str),
                         "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
                         "amount": raw["amount"].astype(float)})


@pytest.fixture(scope="session")
def cdnow_calibration(cdnow_orders: pd.DataFrame) -> pd.DataFrame:
    """Our own weekly RFM summary of the raw data, calibration to 1997-09-30 inclusive."""
    from churnguard.value import rfm_summary

    return rfm_summary(cdnow_orders, as_of="1997-10-01", time_unit="W")
