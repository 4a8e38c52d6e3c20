"""The same table loaded into a DuckDB and a PySpark workspace reads back equal."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from churnguard import Workspace
from churnguard.synth import REFERENCE_END, generate

pytestmark = pytest.mark.spark


def _sorted(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    frame = frame.sort_values(key).reset_index(drop=True)
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].astype("datetime64[us]")
    return frame


def test_pyspark_round_trip_equals_duckdb(tmp_path: Path, spark):
    tables = generate(60, years=1, seed=3, end=REFERENCE_END)
    duck = Workspace.create(tmp_path / "duck")
    sparky = Workspace.create(tmp_path / "spark", warehouse="pyspark")
    for ws in (duck, sparky):
        ws.load("customers", tables["customers"])
        ws.load("orders", tables["orders"])
    assert sparky.warehouse.kind == "pyspark"
    for name, key in (("customers", "customer_id"), ("orders", "order_id")):
        pd.testing.assert_frame_equal(_sorted(duck.to_pandas(name), key),
                                      _sorted(sparky.to_pandas(name), key), check_dtype=False)
    # an upsert on Spark replaces by key, as on DuckDB
    change = tables["orders"].head(2).assign(amount=[1.0, 2.0])
    for ws in (duck, sparky):
        ws.load("orders", change)
    assert (_sorted(duck.to_pandas("orders"), "order_id")["amount"].tolist()
            == _sorted(sparky.to_pandas("orders"), "order_id")["amount"].tolist())
    # the tables survive re-opening the Spark workspace
    reopened = Workspace.open(tmp_path / "spark")
    assert reopened.table("orders").count().execute() == len(tables["orders"])
