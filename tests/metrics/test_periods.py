"""Reporting periods: boundaries anchored on the start, a short last period, the previous one."""

from __future__ import annotations

from datetime import date

import pytest

from churnguard.errors import ConfigError
from churnguard.metrics import Periods


def test_month_periods_anchor_on_start_and_clip_month_ends() -> None:
    p = Periods.make("2024-01-31", "2024-05-15", freq="month")
    assert p.bounds == (date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31),
                        date(2024, 4, 30), date(2024, 5, 15))
    assert p.previous == date(2023, 12, 31)


def test_quarter_year_and_single_period() -> None:
    assert Periods.make("2024-01-01", "2025-01-01", freq="quarter").n == 4
    years = Periods.make("2023-07-01", "2026-07-01", freq="year")
    assert [b.year for b in years.bounds] == [2023, 2024, 2025, 2026]
    one = Periods.make("2024-03-01", "2024-06-01", freq=None)
    assert one.bounds == (date(2024, 3, 1), date(2024, 6, 1))
    assert one.previous == date(2023, 11, 30)          # 92 days before the start


def test_bad_periods() -> None:
    with pytest.raises(ConfigError, match="start 2024-01-01 must be before end 2024-01-01"):
        Periods.make("2024-01-01", "2024-01-01")
    with pytest.raises(ConfigError, match="freq 'weekly' is not one of"):
        Periods.make("2024-01-01", "2024-03-01", freq="weekly")
