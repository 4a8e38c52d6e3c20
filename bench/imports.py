"""Benchmark: synthetic company generation and CSV import throughput.

Measures, on this machine:
- ``churnguard.synth.generate`` at 1,000,000 customers (goal: under 2 minutes);
- validated import of a 1,000,000-row orders CSV (rows/s), and of the same rows as a DataFrame;
- as the baseline in the same run, a plain ``pandas.read_csv`` of that file plus
  ``duckdb`` ``CREATE TABLE`` (no validation): the ratio shows the price of validation.

Run: ``.venv/bin/python bench/imports.py [--customers N] [--rows N]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from churnguard import Workspace
from churnguard.synth import generate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")

    started = time.perf_counter()
    tables = generate(args.customers, seed=0)
    synth_s = time.perf_counter() - started
    print(f"synth: {args.customers:,} customers, {len(tables['orders']):,} orders, "
          f"{len(tables['interactions']):,} interactions in {synth_s:.1f} s")

    orders = tables["orders"].head(args.rows)
    customers = tables["customers"][tables["customers"]["customer_id"].isin(
        orders["customer_id"].unique())]
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "orders.csv"
        orders.to_csv(csv, index=False)
        ws = Workspace.create(Path(tmp) / "ws")
        ws.load("customers", customers)
        started = time.perf_counter()
        result = ws.load("orders", csv)
        csv_s = time.perf_counter() - started
        assert result.inserted == len(orders)
        started = time.perf_counter()
        again = ws.load("orders", csv)
        reload_s = time.perf_counter() - started
        assert again.updated == len(orders)
        ws.close()

        started = time.perf_counter()
        raw = pd.read_csv(csv)
        con = duckdb.connect(str(Path(tmp) / "plain.duckdb"))
        con.register("raw_orders", raw)
        con.execute("CREATE TABLE orders AS SELECT * FROM raw_orders")
        con.close()
        plain_s = time.perf_counter() - started
    rows = len(orders)
    print(f"import {rows:,}-row CSV, validated: {csv_s:.1f} s = {rows / csv_s:,.0f} rows/s; "
          f"same file again (all updates): {reload_s:.1f} s")
    print(f"baseline pandas.read_csv + DuckDB insert, no validation: {plain_s:.1f} s "
          f"({csv_s / plain_s:.1f}x the time of the validated import)")


if __name__ == "__main__":
    main()
