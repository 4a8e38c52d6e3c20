"""The same metrics on DuckDB and on PySpark (local[2]) give the same numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tests.metrics.shop import CUSTOMERS, INTERACTIONS, ORDERS, WALLET, shop_workspace

from churnguard import Workspace
from churnguard.churn import Inactivity
from churnguard.metrics import (
    cohort_retention,
    loyalty_kpis,
)

CHURN = Inactivity(days=60)


def _spark_shop(folder: Path) -> Workspace:
    ws = Workspace.create(folder, warehouse="pyspark")
    for name, frame in (("customers", CUSTOMERS), ("orders", ORDERS),
                        ("interactions", INTERACTIONS), ("wallet", WALLET)):
        ws.load(name, frame)
    return ws


def _same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True),
                                  check_dtype=False, check_exact=False, rtol=1e-12)


@pytest.mark.spark
def test_duckdb_and_pyspark_agree(tmp_path: Path, spark) -> None:
    duck = shop_workspace(tmp_path / "duck")
    sparkws = _spark_shop(tmp_path / "spark")
    assert sparkws.warehouse.kind == "pyspark"
    _same(loyalty_kpis(duck, "2024-03-01", "2024-06-01", freq="month", churn=CHURN),
          loyalty_kpis(sparkws, "2024-03-01", "2024-06-01", freq="month", churn=CHURN))
    _same(cohort_retention(duck, as_of="2024-06-01", churn=CHURN),
          cohort_retention(sparkws, as_of="2024-06-01", churn=CHURN))
    duck.close()
