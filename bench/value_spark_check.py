"""Check that the value module's engine code gives the same numbers on PySpark as on DuckDB.

Too slow for the test suite on a shared two-core machine (a minute or more per Spark query
there), so it lives here. Run from the repository root: ``SPARK_LOCAL_IP=127.0.0.1
.venv/bin/python -m bench.value_spark_check``; it prints one line per function and exits 1
on a mismatch. Last run (2026-11-28, busy 2-core machine): rfm_summary, rfm_scores, value_tiers
and profitability all the same on both engines (65, 28, 21 and 56 s on Spark).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from tests.factories import make_workspace
from tests.value.test_profitability import ACTIVITIES, ORDERS, POOLS

from churnguard import Workspace
from churnguard.value import profitability, rfm_scores, rfm_summary, value_tiers


def main() -> int:
    tables = {"orders": ORDERS, "activities": ACTIVITIES, "cost_pools": POOLS}
    folder = Path(tempfile.mkdtemp())
    duck = make_workspace(folder / "duck", **tables)
    spark = Workspace.create(folder / "spark", warehouse="pyspark")
    spark.load("customers", pd.DataFrame({"customer_id": ["A", "B", "C", "D"]}))
    for name, frame in tables.items():
        spark.load(name, frame)
    checks = {
        "rfm_summary": lambda ws: rfm_summary(ws, as_of="2024-02-01"),
        "rfm_scores": lambda ws: rfm_scores(ws, as_of="2024-02-01"),
        "value_tiers": lambda ws: value_tiers(ws, "2024-02-01"),
        "profitability": lambda ws: profitability(ws, "2024-01-01", "2024-02-01"),
    }
    failed = 0
    for name, run in checks.items():
        began = time.perf_counter()
        try:
            pd.testing.assert_frame_equal(run(duck).reset_index(drop=True),
                                          run(spark).reset_index(drop=True),
                                          check_dtype=False, rtol=1e-12)
            verdict = "same"
        except AssertionError as exc:
            verdict, failed = f"DIFFERENT: {exc}", failed + 1
        print(f"{name}: {verdict} ({time.perf_counter() - began:.1f} s)")
    duck.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
