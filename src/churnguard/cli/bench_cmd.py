"""``churnguard bench``: time the analytics on a synthetic company of any size, on this machine."""

from __future__ import annotations

import os
import platform
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from churnguard.cli.common import console, rich_table
from churnguard.cli.progress import steps


def _timed(label: str, rows: list[dict[str, Any]], work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = work()
    rows.append({"step": label, "seconds": round(time.perf_counter() - started, 2)})
    return result


def bench(
    customers: Annotated[int, typer.Option(help="Customers in the synthetic company.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Generate a company, then time status, monthly KPIs, cohorts and a BG/NBD + Gamma-Gamma fit.

    For the comparisons against pandas and ``lifetimes`` run the scripts in ``bench/``.
    """
    from churnguard.churn import Inactivity
    from churnguard.metrics import cohort_retention, loyalty_kpis
    from churnguard.synth import DEFAULT_END, generate, load
    from churnguard.value import BetaGeo, GammaGamma, rfm_summary
    from churnguard.workspace import Workspace

    as_of = DEFAULT_END
    start = date(as_of.year - 3, as_of.month, 1)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, steps() as step:
        with step("generate"):
            tables = _timed("generate company", rows,
                            lambda: generate(customers, seed=seed, end=as_of))
        ws = Workspace.create(Path(tmp) / "bench")
        with step("load (unvalidated)"):
            _timed("load into DuckDB", rows, lambda: load(ws, tables, validate=False))
        with step("analytics", total=4) as advance:
            churn = Inactivity(days=180)
            _timed("status of every customer", rows, lambda: ws.status(as_of, churn))
            advance()
            _timed("monthly KPIs, 3 years", rows,
                   lambda: loyalty_kpis(ws, start, as_of, freq="month", churn=churn))
            advance()
            _timed("cohort triangle", rows,
                   lambda: cohort_retention(ws, as_of=as_of, churn=churn))
            advance()
            summary = _timed("RFM summary (weeks)", rows,
                             lambda: rfm_summary(ws, as_of=as_of, time_unit="W"))
            _timed("BG/NBD fit", rows, lambda: BetaGeo().fit(summary))
            repeat = summary[(summary["frequency"] > 0) & (summary["monetary"] > 0)]
            _timed("Gamma-Gamma fit", rows, lambda: GammaGamma().fit(repeat))
            advance()
        ws.close()
    orders = len(tables["orders"])
    console.print(rich_table(pd.DataFrame(rows), title=(
        f"{customers:,} customers, {orders:,} orders · {platform.machine()}, "
        f"{os.cpu_count()} cores")))


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)
