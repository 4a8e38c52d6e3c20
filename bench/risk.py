"""Benchmark: churn-risk features and scoring at scale, and synthetic backtests.

``speed`` (default): a synthetic company of ``--customers`` customers (``churnguard.synth``,
3 years, loaded without validation), then, timed separately:

- ``features``: :func:`churnguard.risk.features` at the end of the history (Ibis on DuckDB,
  BG/NBD ``p_alive`` included);
- ``scoring``: :func:`churnguard.risk.scoring.score_frame` with a model fitted beforehand
  (probability, top-3 reasons in two languages, health by dimension, warning rules);
- ``baseline``: a bare pandas recency/frequency/monetary table of the same orders (read from
  the warehouse), the simplest scorer a team might write instead.

The model is fitted (untimed) on a snapshot of a separate 50k-customer company from the same
generator (same features), so the big company is only featurised and scored. Goal (issue 5):
features + scoring ≤ 30 s for 1 M customers.

``backtest``: :func:`churnguard.risk.backtest.backtest` on a 20k-customer company for the
three labels (``churn``, ``no_purchase``, ``departure``), model vs rules vs recency.

Run: ``.venv/bin/python bench/risk.py --customers 1000000`` and
``.venv/bin/python bench/risk.py backtest --customers 20000``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from churnguard import Workspace, synth
from churnguard.risk import ChurnRiskModel
from churnguard.risk.backtest import backtest, snapshot
from churnguard.risk.features import FEATURE_COLUMNS, features
from churnguard.risk.scoring import score_frame

END = synth.DEFAULT_END
DUCKDB_MEMORY = "6GB"


def _company(customers: int, folder: Path, seed: int) -> tuple[Workspace, dict]:
    began = time.perf_counter()
    tables = synth.generate(customers=customers, years=3, seed=seed)
    generated = time.perf_counter() - began
    ws = Workspace.create(folder)
    ws.con.raw_sql(f"SET memory_limit='{DUCKDB_MEMORY}'")  # a shared machine: stay bounded
    synth.load(ws, tables, validate=False)
    info = {"customers": customers, "orders": len(tables["orders"]),
            "interactions": len(tables["interactions"]), "generate_s": round(generated, 1),
            "load_s": round(time.perf_counter() - began - generated, 1)}
    del tables
    return ws, info


CPU: dict[str, float] = {}


def _timed(fn, *args, **kwargs):
    """Run ``fn``; return its value and wall seconds (CPU seconds of all threads in CPU)."""
    began, cpu = time.perf_counter(), time.process_time()
    value = fn(*args, **kwargs)
    CPU[getattr(fn, "__name__", "call")] = round(time.process_time() - cpu, 1)
    return value, time.perf_counter() - began


def _baseline(ws: Workspace, as_of: date) -> pd.DataFrame:
    orders = ws.table("orders").select("customer_id", "order_date", "amount").to_pandas()
    orders = orders[orders["order_date"] < pd.Timestamp(as_of)]
    grouped = orders.groupby("customer_id")
    table = pd.DataFrame({"last": grouped["order_date"].max(), "orders": grouped.size(),
                          "revenue": grouped["amount"].sum()})
    table["recency_days"] = (pd.Timestamp(as_of) - table["last"]).dt.days
    return table


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def speed(customers: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        small, _ = _company(min(customers, 50_000), Path(tmp) / "train", seed + 1)
        train = snapshot(small, END - timedelta(days=180), horizon_days=90)
        small.close()
        model, fit_s = _timed(ChurnRiskModel().fit, train[FEATURE_COLUMNS], train["churned"])
        _say(f"model fitted on {len(train):,} rows of a separate company in {fit_s:.0f} s")
        ws, info = _company(customers, Path(tmp) / "bench", seed)
        _say(f"company of {customers:,} loaded: {info}")
        frame, features_s = _timed(features, ws, END)
        _say(f"features: {len(frame):,} active customers in {features_s:.1f} s")
        scored, scoring_s = _timed(score_frame, frame, model)
        _, baseline_s = _timed(_baseline, ws, END)
        ws.close()
    total = features_s + scoring_s
    return {**info, "active_customers": len(frame), "fit_s (untimed goal)": round(fit_s, 1),
            "features_s": round(features_s, 1), "scoring_s": round(scoring_s, 1),
            "features_plus_scoring_s": round(total, 1), "pandas_rfm_baseline_s":
            round(baseline_s, 1), "ratio_to_baseline": round(total / baseline_s, 1),
            "high_risk": int((scored["risk_band"] == "high").sum()),
            "goal_30s_met": bool(total <= 30), "cpu_s": dict(CPU),
            "load_average_1m": round(os.getloadavg()[0], 1)}


def backtests(customers: int, seed: int) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        ws, info = _company(customers, Path(tmp) / "bench", seed)
        for label, cutoff in (("churn", END - timedelta(days=90)),
                              ("no_purchase", END - timedelta(days=90)),
                              ("departure", END - timedelta(days=270))):
            result, seconds = _timed(backtest, ws, cutoff, cutoff, 90, label=label)
            table = result.table.round(4)
            print(f"\n== label={label}, evaluate_at={cutoff}, {result.details['evaluated']:,} "
                  f"active, churn rate {result.details['churn_rate']:.1%}, "
                  f"{result.details['training_rows']:,} training rows, {seconds:.0f} s")
            print(table.to_string())
            results[label] = {"table": table.to_dict(orient="index"), "seconds": round(seconds),
                              **{k: result.details[k] for k in ("evaluated", "churn_rate",
                                                                "training_rows")}}
        ws.close()
    return {**info, "backtests": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="speed", choices=["speed", "backtest"])
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    machine = {"machine": platform.machine(), "cpus": os.cpu_count(),
               "python": platform.python_version()}
    if args.mode == "speed":
        report = speed(args.customers or 1_000_000, args.seed)
    else:
        report = backtests(args.customers or 20_000, args.seed)
    print(json.dumps({**machine, **report}, indent=2, default=str, ensure_ascii=False))


if __name__ == "__main__":
    main()
