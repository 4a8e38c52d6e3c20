"""``churnguard cohorts | movements | migration | audit``: the retention views besides the KPIs.

- ``cohorts``: the cohort triangle (同期群留存), share still a customer / buying / revenue kept;
- ``movements``: the revenue bridge per period (new, reactivated, expansion, contraction,
  churned) with logo churn and revenue churn side by side;
- ``migration``: how many customers (and how much revenue) moved between value tiers;
- ``audit``: the failure audit (失误查核) per tier or customer group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from churnguard.cli.common import (
    WorkspaceOption,
    console,
    dates_as_text,
    open_with_orders,
    parse_date,
    parse_span,
    write_frame,
)
from churnguard.cli.metrics_cmds import FREQS, churn_option, print_kpi_table
from churnguard.errors import ChurnguardError

InactivityOption = Annotated[int | None, typer.Option(
    help="Churned after N days without a purchase (default: the workspace setting).")]
ContractOption = Annotated[bool, typer.Option(
    "--contract", help="Churned when contract_end passed without renewal.")]
FormatOption = Annotated[str, typer.Option("--format", help="table, csv, json or xlsx.")]
OutputOption = Annotated[Path | None, typer.Option(help="File for csv/json/xlsx.")]
MOVEMENT_LABELS = {
    "revenue_start": "上期收入 revenue, period before",
    "new": "新客户收入 new",
    "reactivated": "回流收入 reactivated",
    "expansion": "增购 expansion",
    "contraction": "减购 contraction",
    "churned": "停购 stopped buying",
    "revenue_end": "本期收入 revenue",
    "new_customers": "新客户数 new customers",
    "reactivated_customers": "回流客户数 reactivated",
    "expanding_customers": "增购客户数 expanding",
    "contracting_customers": "减购客户数 contracting",
    "churned_customers": "停购客户数 stopped buying",
    "churn_rate": "客户流失率 logo churn rate",
    "revenue_churn_rate": "流失客户收入占比 revenue churn rate",
}
StartOption = Annotated[str, typer.Option(help="First day, YYYY-MM-DD (or YYYY-MM).")]
EndOption = Annotated[str, typer.Option(help="Day after the last day, YYYY-MM-DD.")]


def cohorts(
    workspace: WorkspaceOption = Path("."),
    as_of: Annotated[str, typer.Option(help="Only data before this day, YYYY-MM-DD.")] = "",
    cohort: Annotated[str, typer.Option(help="month, quarter or year.")] = "month",
    measure: Annotated[str, typer.Option(help="customers, buyers or revenue.")] = "customers",
    inactivity_days: InactivityOption = None,
    contract: ContractOption = False,
    fmt: FormatOption = "table",
    output: OutputOption = None,
) -> None:
    """The cohort triangle: cohorts by first purchase × periods since (同期群留存)."""
    from churnguard.metrics import cohort_retention

    if not as_of:
        raise ChurnguardError("--as-of is required, e.g. --as-of 2026-01-01.")
    day = parse_date(as_of, option="--as-of")
    with open_with_orders(workspace) as ws:
        churn = churn_option(ws, inactivity_days, contract, None)
        triangle = cohort_retention(ws, as_of=day, cohort=cohort, churn=churn, measure=measure)
    triangle.columns = [str(c) for c in triangle.columns]
    title = f"Cohort retention 同期群留存 ({measure}) as of {day}"
    if fmt == "table":
        console.print(_triangle_table(triangle, cohort, title))
        return
    write_frame(dates_as_text(triangle, fmt), fmt, output=output, title=title)


def _triangle_table(triangle: pd.DataFrame, cohort: str, title: str) -> Table:
    """The triangle with whole percentages, so a few years of months fit a terminal."""
    table = Table(title=title, header_style="bold cyan", pad_edge=False, padding=(0, 1))
    table.add_column("cohort")
    table.add_column("size", justify="right")
    shares = [c for c in triangle.columns if c not in ("cohort", "cohort_size")]
    for column in shares:
        table.add_column(column, justify="right")
    starts = pd.to_datetime(triangle["cohort"])
    labels = {"month": starts.dt.strftime("%Y-%m"), "year": starts.dt.strftime("%Y"),
              "quarter": starts.dt.year.astype(str) + "Q" + starts.dt.quarter.astype(str)}
    for label, (_, row) in zip(labels[cohort], triangle.iterrows(), strict=True):
        cells = ["" if pd.isna(row[c]) else f"{row[c]:.0%}" for c in shares]
        table.add_row(label, f"{int(row['cohort_size']):,}", *cells)
    return table


def movements(
    workspace: WorkspaceOption = Path("."),
    start: StartOption = "",
    end: EndOption = "",
    freq: Annotated[str, typer.Option(help="month, quarter, year or none.")] = "month",
    inactivity_days: InactivityOption = None,
    contract: ContractOption = False,
    fmt: FormatOption = "table",
    output: OutputOption = None,
) -> None:
    """Revenue bridge per period: new, reactivated, expansion, contraction and churned revenue,
    with logo churn and revenue churn side by side."""
    from churnguard.metrics import revenue_movements

    first, last = parse_span(start, end)
    if freq not in FREQS:
        raise ChurnguardError(f"--freq {freq!r} is not one of month, quarter, year, none.")
    with open_with_orders(workspace) as ws:
        churn = churn_option(ws, inactivity_days, contract, None)
        frame = revenue_movements(ws, first, last, freq=FREQS[freq], churn=churn,
                                  history_start=ws.history_start())
    if fmt == "table":
        console.print(f"[bold]Revenue movements 收入变动[/bold] {first} – {last} · churn: "
                      f"{churn.label()}")
        print_kpi_table(frame, rates=("churn_rate", "revenue_churn_rate"),
                        labels=MOVEMENT_LABELS)
        return
    write_frame(dates_as_text(frame, fmt), fmt, output=output)


def migration(
    workspace: WorkspaceOption = Path("."),
    start: StartOption = "",
    end: EndOption = "",
    tiers: Annotated[str, typer.Option(
        help="value (the value tiers) or quartiles (revenue quartiles).")] = "value",
    inactivity_days: InactivityOption = None,
    contract: ContractOption = False,
    fmt: FormatOption = "table",
    output: OutputOption = None,
) -> None:
    """Customers and revenue moving between tiers from --start to --end (new and churned
    included)."""
    from churnguard.metrics import segment_migration

    first, last = parse_span(start, end)
    if tiers not in ("value", "quartiles"):
        raise ChurnguardError(f"--tiers {tiers!r} is not one of value, quartiles.")
    with open_with_orders(workspace) as ws:
        churn = churn_option(ws, inactivity_days, contract, None)
        frame = segment_migration(ws, first, last, churn=churn,
                                  tiers=None if tiers == "value" else "quartiles")
    write_frame(frame, fmt, output=output, title=f"Tier migration 客户迁移 {first} → {last}")


def audit(
    workspace: WorkspaceOption = Path("."),
    start: StartOption = "",
    end: EndOption = "",
    by: Annotated[str, typer.Option(
        help="tier, or a customers column such as segment, region, owner_id.")] = "tier",
    inactivity_days: InactivityOption = None,
    contract: ContractOption = False,
    fmt: FormatOption = "table",
    output: OutputOption = None,
) -> None:
    """Failure audit (失误查核) per group for [start, end) against the period before: churn,
    complaints per 100 customers by reason, unresolved complaints, spend rising or falling."""
    from churnguard.metrics import failure_audit

    first, last = parse_span(start, end)
    with open_with_orders(workspace) as ws:
        churn = churn_option(ws, inactivity_days, contract, None)
        frame = failure_audit(ws, first, last, by=by, churn=churn)
    write_frame(frame, fmt, output=output, title=f"Failure audit 失误查核 {first} – {last}")


def register(app: typer.Typer) -> None:
    for command in (cohorts, movements, migration, audit):
        app.command(command.__name__)(command)
