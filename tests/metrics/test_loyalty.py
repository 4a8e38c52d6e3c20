"""loyalty_kpis on hand-built tables; every expected value is worked out by hand below."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.factories import make_workspace, orders_frame
from tests.metrics.shop import shop_workspace

from churnguard.churn import ContractEnd, Inactivity
from churnguard.errors import ConfigError
from churnguard.metrics import KPI_COLUMNS, loyalty_kpis


@pytest.fixture(scope="module")
def kpis(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("loyalty") / "ws"
    ws = shop_workspace(folder)
    frame = loyalty_kpis(ws, "2024-03-01", "2024-06-01", freq="month",
                         churn=Inactivity(days=60), data_end="2024-06-01")
    ws.close()
    return frame


def test_columns_and_periods(kpis: pd.DataFrame) -> None:
    assert list(kpis.columns) == KPI_COLUMNS
    assert kpis.period_start.dt.strftime("%m-%d").tolist() == ["03-01", "04-01", "05-01"]
    assert kpis.period_end.dt.strftime("%m-%d").tolist() == ["04-01", "05-01", "06-01"]


def test_customer_base_accounting(kpis: pd.DataFrame) -> None:
    assert kpis.customers_start.tolist() == [2, 3, 4]          # {a,c} {a,b,c} {b,c,d,e}
    assert kpis.new_customers.tolist() == [1, 1, 0]            # b, e
    assert kpis.churned_customers.tolist() == [0, 1, 1]        # a 04-20, b 05-04
    assert kpis.reactivated_customers.tolist() == [0, 1, 1]    # d 04-02, a 05-10
    assert kpis.customers_end.tolist() == [3, 4, 4]


def test_retention_and_churn_rate(kpis: pd.DataFrame) -> None:
    # April keeps b, c of {a, b, c}; May keeps c, d, e of {b, c, d, e}
    assert kpis.retention_rate.tolist() == pytest.approx([1.0, 2 / 3, 0.75])
    assert kpis.churn_rate.tolist() == pytest.approx([0.0, 1 / 3, 0.25])


def test_revenue_and_order_kpis(kpis: pd.DataFrame) -> None:
    assert kpis.revenue.tolist() == pytest.approx([200.0, 430.0, 30.0])
    # purchases / buyers: March 3 orders by b, c; April 4 by c, d, e; May 1 by a (a return
    # is not a purchase)
    assert kpis.purchase_frequency.tolist() == pytest.approx([1.5, 4 / 3, 1.0])
    assert kpis.avg_order_value.tolist() == pytest.approx([200 / 3, 107.5, 30.0])
    assert kpis.avg_spend_per_customer.tolist() == pytest.approx([100.0, 430 / 3, 30.0])


def test_revenue_churn_rate(kpis: pd.DataFrame) -> None:
    # April: leaver a made 150 of the 1,050 of [2023-04-02, 2024-04-01);
    # May: leaver b made 40 of the 1,480 of [2023-05-02, 2024-05-01)
    assert kpis.revenue_churn_rate.tolist() == pytest.approx([0.0, 150 / 1050, 40 / 1480])


def test_grr_nrr(kpis: pd.DataFrame) -> None:
    # March: a, c had 250 in Feb and 160 in March; April: a, b, c had 200 → 300 (c capped at
    # 160 for GRR); May: b, c, d, e had 430 → −50 (c's return)
    assert kpis.nrr_mom.tolist() == pytest.approx([0.64, 1.5, -50 / 430])
    assert kpis.grr_mom.tolist() == pytest.approx([0.64, 0.8, 0.0])
    # the shop's history starts 2023-11-01: no trailing-twelve-month base year yet
    assert kpis.nrr.isna().all() and kpis.grr.isna().all()


def test_winback_rate(kpis: pd.DataFrame) -> None:
    # churned at the start: d in March and April, a in May; d back in April, a in May
    assert kpis.winback_rate.tolist() == pytest.approx([0.0, 1.0, 1.0])


def test_complaint_satisfaction(kpis: pd.DataFrame) -> None:
    assert kpis.complaint_satisfaction.tolist() == pytest.approx([1.0, 0.5, 1.0])


def test_share_of_wallet(kpis: pd.DataFrame) -> None:
    # the 2024 wallets of c (3,660) and d (7,320) cover every month; our 2024 revenue before
    # the end: c 610, d 70 (a's 2023 wallet is outside the periods)
    assert kpis.share_of_wallet.tolist() == pytest.approx([680 / 10980] * 3)


def test_new_customer_retention_90d(tmp_path: Path) -> None:
    orders = orders_frame([
        ("p", "2024-01-01", 10.0), ("p", "2024-03-31", 10.0),   # again after exactly 90 days
        ("q", "2024-01-10", 10.0), ("q", "2024-04-10", 10.0),   # after 91 days: too late
        ("r", "2024-01-20", 10.0),                              # one order only
        ("s", "2024-01-25", 10.0), ("s", "2024-01-25 18:00", 5.0),  # same day is no repeat
        ("t", "2024-02-05", 10.0), ("t", "2024-02-06", 10.0),
        ("u", "2024-03-20", 10.0), ("u", "2024-03-21", 10.0),   # not 90 days old at the end
        ("v", "2023-12-01", 10.0), ("v", "2024-01-05", 10.0),   # not new in the periods
    ])
    ws = make_workspace(tmp_path / "ws", orders=orders)
    # the shop opened in 2023 (v bought then): no warm-up to wait for
    kpis = loyalty_kpis(ws, "2024-01-01", "2024-06-01", freq="month", churn=Inactivity(200),
                        history_start="2023-01-01", data_end="2024-06-01")
    assert kpis.status.tolist() == ["complete"] * 5
    # January: p yes, q no, r no, s no → 1/4; February: t → 1/1; March: u immature (NaN)
    assert kpis.new_customer_retention_90d.tolist()[:3] == pytest.approx([0.25, 1.0, np.nan],
                                                                         nan_ok=True)
    ws.close()


def test_period_without_orders_and_one_order_customer(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", orders=orders_frame([("a", "2024-01-10", 25.0)]))
    kpis = loyalty_kpis(ws, "2024-02-01", "2024-05-01", churn=Inactivity(days=60),
                        history_start="2023-06-01")
    assert kpis.customers_start.tolist() == [1, 1, 0]
    assert kpis.churned_customers.tolist() == [0, 1, 0]      # 01-10 + 60 = 03-10
    assert kpis.revenue.tolist() == [0.0, 0.0, 0.0]
    assert kpis.retention_rate.tolist() == pytest.approx([1.0, 0.0, np.nan], nan_ok=True)
    assert kpis.purchase_frequency.isna().all() and kpis.avg_order_value.isna().all()
    assert kpis.winback_rate.tolist() == pytest.approx([np.nan, np.nan, 0.0], nan_ok=True)
    assert kpis.share_of_wallet.isna().all()                 # no wallet table
    ws.close()


def _seed_case_orders() -> pd.DataFrame:
    rows = []
    for i in range(600):   # stayers: 100 in the look-back year, then every 90 days
        day = date(2020, 10, 15)
        while day < date(2024, 1, 1):
            rows.append((f"s{i}", str(day), 100.0))
            day += timedelta(days=90)
    rows += [(f"l{i}", "2020-12-01", 150.0) for i in range(400)]   # leavers: 60,000 too
    for i in range(100):   # newcomers from mid-2022
        day = date(2022, 6, 1)
        while day < date(2024, 1, 1):
            rows.append((f"n{i}", str(day), 20.0))
            day += timedelta(days=90)
    return orders_frame(rows)


def test_seed_case(tmp_path: Path) -> None:
    """Three years: 40% of 1,000 customers leave, 100 arrive, the leavers made half the revenue."""
    ws = make_workspace(tmp_path / "ws", orders=_seed_case_orders())
    row = loyalty_kpis(ws, "2021-01-01", "2024-01-01", freq=None,
                       history_start="2020-01-01").iloc[0]
    assert (row.customers_start, row.new_customers, row.churned_customers,
            row.reactivated_customers, row.customers_end) == (1000, 100, 400, 0, 700)
    assert row.churn_rate == pytest.approx(0.40)
    assert row.revenue_churn_rate == pytest.approx(0.50)
    ws.close()


def _random_orders(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    days = rng.integers(0, 900, n)
    customers = rng.integers(0, 40, n)
    amounts = np.round(rng.normal(50, 40, n), 2)
    start = np.datetime64("2022-01-01")
    return orders_frame([(f"c{c}", str(start + int(d)), float(a))
                         for c, d, a in zip(customers, days, amounts, strict=True)])


@pytest.mark.parametrize(("freq", "churn"), [
    ("month", Inactivity(days=45)), ("quarter", ContractEnd(grace_days=10)),
    ("year", Inactivity(days=45)), (None, ContractEnd(grace_days=10)),
])
def test_identity_holds_in_every_period(tmp_path: Path, freq: str | None, churn) -> None:
    orders = _random_orders(7)
    ends = pd.to_datetime(orders.order_date).dt.date.map(lambda d: str(d + timedelta(days=150)))
    customers = pd.DataFrame({"customer_id": sorted(set(orders.customer_id))})
    customers["contract_end"] = [ends[orders.customer_id == c].max() for c in
                                 customers.customer_id]
    ws = make_workspace(tmp_path / "ws", customers=customers, orders=orders)
    kpis = loyalty_kpis(ws, "2022-02-15", "2024-07-01", freq=freq, churn=churn,
                        history_start="2021-01-01")
    flow = (kpis.customers_start + kpis.new_customers - kpis.churned_customers
            + kpis.reactivated_customers)
    assert flow.tolist() == kpis.customers_end.tolist()
    assert kpis.customers_end.iloc[:-1].tolist() == kpis.customers_start.iloc[1:].tolist()
    for row in kpis.itertuples():
        status = ws.status(row.period_end.date(), churn) if row.Index % 6 == 0 else None
        if status is not None:
            assert row.customers_end == (status.status == "active").sum()
    ws.close()


def test_bad_arguments(workspace) -> None:
    with pytest.raises(ConfigError, match=r"freq 'week' is not one of month, quarter, year"):
        loyalty_kpis(workspace, "2024-01-01", "2024-02-01", freq="week")
    with pytest.raises(ConfigError, match=r"start 2024-02-01 must be before end 2024-01-01"):
        loyalty_kpis(workspace, "2024-02-01", "2024-01-01")
    with pytest.raises(ConfigError, match=r"lookback_days must be a positive number.*0"):
        loyalty_kpis(workspace, "2024-01-01", "2024-02-01", lookback_days=0)
