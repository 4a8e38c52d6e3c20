"""The real Ta Feng grocery log (817,741 lines, M/D/YYYY, no receipt id) through
``churnguard import order-lines``, checked against the figures of its README.

The import runs once for the module (about half a minute on a loaded machine); every test
reads the workspace it made.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from churnguard import Workspace

FILE = "ta-feng-grocery/ta_feng_all_months_merged.csv.gz"
MAPPING = {"order_date": "TRANSACTION_DT", "customer_id": "CUSTOMER_ID",
           "product_id": "PRODUCT_ID", "category": "PRODUCT_SUBCLASS", "quantity": "AMOUNT",
           "amount": "SALES_PRICE", "cost": "ASSET", "region": "PIN_CODE"}
# README, "Reference results": month -> (lines, orders, customers, units, revenue)
MONTHS = {
    "2000-11": (223_622, 31_860, 16_760, 312_440, 29_011_236),
    "2000-12": (178_216, 26_766, 15_447, 249_002, 23_302_410),
    "2001-01": (216_864, 29_901, 16_578, 291_572, 30_688_479),
    "2001-02": (199_039, 31_051, 16_911, 276_925, 24_837_951),
}


@pytest.fixture(scope="module")
def ta_feng(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    source = shared_data / FILE
    if not source.exists():
        pytest.skip(f"{source} is absent: the Ta Feng test needs the shared data set")
    folder = tmp_path_factory.mktemp("ta_feng")
    env = {**os.environ, "COLUMNS": "200"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "churnguard", *args], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=600)

    assert run("init", "ws").returncode == 0
    maps = [arg for canonical, header in MAPPING.items()
            for arg in ("--map", f"{canonical}={header}")]
    done = run("import", "order-lines", str(source), "--workspace", "ws", *maps)
    assert done.returncode == 0, done.stderr
    with Workspace.open(folder / "ws") as ws:
        tables = {name: ws.to_pandas(name) for name in ("orders", "customers")}
        tables["lines"] = ws.table("order_lines").select(
            "order_id", "order_date", "quantity", "amount", "cost").to_pandas()
    return {"stdout": done.stdout, **tables}


def test_totals_match_the_readme(ta_feng: dict):
    lines, orders = ta_feng["lines"], ta_feng["orders"]
    assert len(lines) == 817_741
    assert len(orders) == 119_578
    assert len(ta_feng["customers"]) == 32_266
    assert lines["amount"].sum() == 107_840_076
    assert orders["amount"].sum() == 107_840_076
    assert lines["cost"].sum() == 91_676_819
    assert lines["quantity"].sum() == 1_129_939
    assert round(len(lines) / len(orders), 3) == 6.839
    assert round(orders["amount"].mean(), 2) == 901.84


def test_months_match_the_readme(ta_feng: dict):
    lines, orders = ta_feng["lines"], ta_feng["orders"]
    line_month = lines["order_date"].dt.strftime("%Y-%m")
    order_month = orders["order_date"].dt.strftime("%Y-%m")
    first = orders.groupby("customer_id")["order_date"].min().dt.strftime("%Y-%m")
    for month, (n_lines, n_orders, n_customers, units, revenue) in MONTHS.items():
        assert (line_month == month).sum() == n_lines
        assert (order_month == month).sum() == n_orders
        assert orders.loc[order_month == month, "customer_id"].nunique() == n_customers
        assert lines.loc[line_month == month, "quantity"].sum() == units
        assert orders.loc[order_month == month, "amount"].sum() == revenue
    assert (first == "2000-11").sum() == MONTHS["2000-11"][2]     # everyone new in month one


def test_customers_keep_their_leading_zeros_and_dates_read_month_first(ta_feng: dict):
    orders = ta_feng["orders"]
    assert orders["customer_id"].str.len().eq(8).all()
    assert orders["order_date"].min() == pd.Timestamp("2000-11-01")
    assert orders["order_date"].max() == pd.Timestamp("2001-02-28")
    per_customer = orders.groupby("customer_id").size()
    assert (per_customer == 1).sum() == 11_878
    assert per_customer.max() == 86
    assert (orders.groupby("customer_id")["order_date"].max()
            < pd.Timestamp("2001-01-01")).sum() == 8_064


def test_the_summary_states_the_figures(ta_feng: dict):
    out = " ".join(ta_feng["stdout"].split())
    assert "817,741 rows read, 817,741 new" in out
    assert "orders: 119,578 (one per order id with a customer, order id = customer@day)" in out
    assert "customers created from the order lines: 32,266" in out
    assert "sales without a customer: 0 lines, 0.00 = 0.0% of the revenue" in out
