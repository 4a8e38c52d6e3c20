"""Seasonality of the synthetic company: months, Chinese New Year dips and price changes."""

from __future__ import annotations

import numpy as np

# Chinese New Year (春节) dates; purchases dip from a week before to ten days after.
SPRING_FESTIVAL = np.array(
    [
        "2018-02-16", "2019-02-05", "2020-01-25", "2021-02-12", "2022-02-01", "2023-01-22",
        "2024-02-10", "2025-01-29", "2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13",
        "2030-02-03",
    ],
    dtype="datetime64[D]",
)
# Month multipliers: 618 in June, Double 11 in November, year-end in December.
MONTH_FACTOR = np.array([1.0, 0.9, 1.0, 1.0, 1.0, 1.12, 0.95, 0.95, 1.0, 1.0, 1.25, 1.15])
PEAK = 1.25
CNY_DIP = 0.4


def season(days: np.ndarray) -> np.ndarray:
    """Relative purchase intensity on each day (``datetime64[D]`` array)."""
    month = (days.astype("datetime64[M]").astype(int) % 12)
    factor = MONTH_FACTOR[month]
    nearest = np.searchsorted(SPRING_FESTIVAL, days)
    nearest = nearest.clip(0, len(SPRING_FESTIVAL) - 1)
    after = (days - SPRING_FESTIVAL[(nearest - 1).clip(0)]).astype(int)
    before = (SPRING_FESTIVAL[nearest] - days).astype(int)
    in_dip = ((after >= 0) & (after <= 10)) | ((before >= 0) & (before <= 7))
    return np.where(in_dip, factor * CNY_DIP, factor)


def price_changes(start: np.datetime64, end: np.datetime64) -> np.ndarray:
    """Two list-price increases, at 40% and 75% of the span."""
    span = (end - start).astype(int)
    return start + (np.array([0.4, 0.75]) * span).astype(int).astype("timedelta64[D]")


def price_index(days: np.ndarray, changes: np.ndarray, step: float = 0.08) -> np.ndarray:
    """List-price multiplier on each day (each change raises prices by ``step``)."""
    return (1.0 + step) ** np.searchsorted(changes, days, side="right")
