"""Trailing-twelve-month NRR/GRR and equal-length comparisons of a partial period, by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.factories import make_workspace, orders_frame

from churnguard.churn import Inactivity
from churnguard.metrics import loyalty_kpis, revenue_movements

# For the period ending 2024-01-01 (December 2023) the base year is 2022 and the later year
# 2023; for the one ending 2024-02-01 (January 2024), Feb 2022–Jan 2023 and Feb 2023–Jan 2024.
TTM_ORDERS = orders_frame([
    ("p", "2022-03-10", 100.0), ("p", "2023-02-10", 50.0),    # shrinks
    ("q", "2022-06-01", 200.0), ("q", "2023-05-01", 300.0),   # grows: GRR counts 200
    ("r", "2022-09-01", 80.0),                                # leaves
    ("t", "2022-11-01", 60.0), ("t", "2023-03-01", -20.0),    # only returns goods later
    ("u", "2022-01-15", 40.0), ("u", "2023-01-20", 40.0),     # 01-20 is base year for Jan
    ("s", "2023-04-01", 500.0),                               # new: not in any base
])


def test_trailing_twelve_month_nrr_and_grr(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", orders=TTM_ORDERS)
    kpis = loyalty_kpis(ws, "2023-12-01", "2024-02-01", churn=Inactivity(400),
                        history_start="2021-01-01", data_end="2024-02-01")
    # December: base p 100 + q 200 + r 80 + t 60 + u 40 = 480; later 50 + 300 + 0 − 20 + 40
    # = 370; kept 50 + 200 + 0 + 0 + 40 = 290. January: same base (u's 2023-01-20 instead of
    # 2022-01-15), later 50 + 300 − 20 = 330, kept 50 + 200 = 250
    assert kpis.nrr.tolist() == pytest.approx([370 / 480, 330 / 480])
    assert kpis.grr.tolist() == pytest.approx([290 / 480, 250 / 480])
    # a base year that starts before the history start is not known
    default = loyalty_kpis(ws, "2023-12-01", "2024-02-01", churn=Inactivity(400),
                           data_end="2024-02-01")                 # history from 2022-01-15
    assert np.isnan(default.nrr.iloc[0]) and np.isnan(default.grr.iloc[0])
    assert default.nrr.iloc[1] == pytest.approx(330 / 480)
    ws.close()


def test_yearly_periods_compare_the_year_with_the_year_before(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", orders=TTM_ORDERS)
    row = loyalty_kpis(ws, "2023-01-01", "2024-01-01", freq="year", churn=Inactivity(400),
                       history_start="2021-01-01", data_end="2024-01-01").iloc[0]
    assert row.nrr == pytest.approx(370 / 480) and row.grr == pytest.approx(290 / 480)
    # for a year the period-on-period figures are the same windows
    assert row.nrr_mom == pytest.approx(row.nrr) and row.grr_mom == pytest.approx(row.grr)
    ws.close()


PARTIAL_ORDERS = orders_frame([
    ("a", "2024-01-03", 100.0), ("a", "2024-01-20", 50.0), ("a", "2024-02-05", 80.0),
    ("b", "2024-01-10", 40.0), ("b", "2024-02-12", 10.0),
])


def test_a_period_cut_short_by_end_is_compared_on_equal_lengths(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", orders=PARTIAL_ORDERS)
    kpis = loyalty_kpis(ws, "2024-01-01", "2024-02-15", churn=Inactivity(90),
                        history_start="2023-01-01")
    assert kpis.status.tolist() == ["complete", "partial"]
    # February 1–14 (a 80, b 10) against January 1–14 (a 100, b 40), not all of January (190)
    assert kpis.nrr_mom.iloc[1] == pytest.approx(90 / 140)
    assert kpis.grr_mom.iloc[1] == pytest.approx(90 / 140)       # 80 of 100, 10 of 40
    assert kpis.revenue.tolist() == [190.0, 90.0]
    moves = revenue_movements(ws, "2024-01-01", "2024-02-15", churn=Inactivity(90),
                              include_rates=False)
    assert moves.revenue_start.iloc[1] == 140.0 and moves.revenue_end.iloc[1] == 90.0
    ws.close()


def test_a_period_cut_short_by_the_end_of_the_data(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", orders=PARTIAL_ORDERS)
    kpis = loyalty_kpis(ws, "2024-01-01", "2024-04-01", churn=Inactivity(90),
                        history_start="2023-01-01")
    # the last order is on 02-12: February stops at 02-13 and March is not reported
    assert kpis.status.tolist() == ["complete", "partial"]
    assert str(kpis.period_end.iloc[-1].date()) == "2024-02-13"
    # February 1–12 against January 1–12: a 100 + b 40
    assert kpis.nrr_mom.iloc[1] == pytest.approx(90 / 140)
    full = loyalty_kpis(ws, "2024-01-01", "2024-04-01", churn=Inactivity(90),
                        history_start="2023-01-01", data_end="2024-04-01")
    assert full.status.tolist() == ["complete"] * 3
    assert full.nrr_mom.iloc[1] == pytest.approx(90 / 190)
    # the revenue bridge stops at the same place, its rates beside it
    moves = revenue_movements(ws, "2024-01-01", "2024-04-01", churn=Inactivity(90),
                              history_start="2023-01-01")
    assert str(moves.period_end.iloc[-1].date()) == "2024-02-13"
    assert moves.revenue_start.tolist() == [0.0, 140.0]
    assert moves.revenue_end.tolist() == [190.0, 90.0]
    assert moves.churn_rate.tolist() == pytest.approx(kpis.churn_rate.tolist(), nan_ok=True)
    ws.close()


def test_quarters_cut_by_end_compare_the_same_days(tmp_path: Path) -> None:
    # the case: --freq quarter --end 2011-12-01 compares Oct–Nov with Jul 1–Aug 30
    orders = orders_frame([("a", "2011-07-05", 100.0), ("a", "2011-09-10", 300.0),
                           ("a", "2011-10-20", 120.0)])
    ws = make_workspace(tmp_path / "ws", orders=orders)
    kpis = loyalty_kpis(ws, "2011-07-01", "2011-12-01", freq="quarter",
                        churn=Inactivity(180), history_start="2010-01-01",
                        data_end="2011-12-01")
    assert kpis.status.tolist() == ["complete", "partial"]
    assert kpis.nrr_mom.iloc[1] == pytest.approx(120 / 100)
    assert kpis.grr_mom.iloc[1] == pytest.approx(1.0)
    ws.close()
