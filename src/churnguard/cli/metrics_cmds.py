"""``churnguard kpis``: the loyalty KPIs per period (客户忠诚度 KPI)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from churnguard.churn import ChurnDefinition, ContractEnd, Inactivity
from churnguard.cli.common import (
    WorkspaceOption,
    console,
    dates_as_text,
    open_with_orders,
    parse_span,
    write_frame,
)
from churnguard.errors import ChurnguardError
from churnguard.workspace import Workspace

FORMATS = ("table", "csv", "json", "xlsx")
FREQS = {"month": "month", "quarter": "quarter", "year": "year", "none": None}


def churn_option(ws: Workspace, inactivity_days: int | None, contract: bool,
                 grace_days: int | None) -> ChurnDefinition:
    """The churn definition the options ask for; the workspace setting when none is given."""
    if inactivity_days is not None and contract:
        raise ChurnguardError("give either --inactivity-days N or --contract, not both.")
    if contract:
        default = ws.settings.churn.grace_days
        return ContractEnd(grace_days=default if grace_days is None else grace_days)
    if inactivity_days is not None:
        return Inactivity(days=inactivity_days)
    return ws.churn_definition()


def kpis(
    workspace: WorkspaceOption = Path("."),
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD (or YYYY-MM).")] = "",
    end: Annotated[str, typer.Option(help="Day after the last day, YYYY-MM-DD.")] = "",
    freq: Annotated[str, typer.Option(help="month, quarter, year or none.")] = "month",
    inactivity_days: Annotated[int | None, typer.Option(
        help="Churned after N days without a purchase (default: the workspace setting).")] = None,
    contract: Annotated[bool, typer.Option(
        "--contract", help="Churned when contract_end passed without renewal.")] = False,
    grace_days: Annotated[int | None, typer.Option(help="Grace days after contract_end.")] = None,
    lookback_days: Annotated[int, typer.Option(
        help="Window whose revenue revenue_churn_rate divides.")] = 365,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json or xlsx.")] = "table",
    output: Annotated[Path | None, typer.Option(help="File for csv/json/xlsx.")] = None,
) -> None:
    """Loyalty KPIs per period: customer base, retention and churn (客户留存率/流失率), revenue
    churn, GRR/NRR, new-customer retention, frequency, spend, share of wallet, complaint
    satisfaction and win-back rate. Periods are [start, end)."""
    from churnguard.metrics import RATE_COLUMNS, loyalty_kpis

    first, last = parse_span(start, end)
    if freq not in FREQS:
        raise ChurnguardError(f"--freq {freq!r} is not one of month, quarter, year, none.")
    if fmt not in FORMATS:
        raise ChurnguardError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}.")
    with open_with_orders(workspace) as ws:
        churn = churn_option(ws, inactivity_days, contract, grace_days)
        frame = loyalty_kpis(ws, first, last, freq=FREQS[freq], churn=churn,
                             lookback_days=lookback_days, history_start=ws.history_start())
    if fmt == "table":
        console.print(f"[bold]Loyalty KPIs 客户忠诚度指标[/bold] {first} – {last} · churn: "
                      f"{churn.label()}")
        print_kpi_table(frame, rates=RATE_COLUMNS)
        return
    write_frame(dates_as_text(frame, fmt), fmt, output=output)


def print_kpi_table(frame: pd.DataFrame, *, rates: tuple[str, ...],
                    labels: dict[str, str] | None = None) -> None:
    """KPIs as rows and periods as columns, in as many tables as the terminal width needs."""
    from churnguard.metrics import KPI_LABELS

    labels = KPI_LABELS if labels is None else labels
    starts = pd.to_datetime(frame["period_start"])
    names = starts.dt.strftime("%Y-%m-%d") if len(frame) == 1 else starts.dt.strftime("%Y-%m")
    per_table = max(1, (console.width - 52) // 11)
    for first in range(0, len(frame), per_table):
        chunk = frame.iloc[first:first + per_table]
        table = Table(header_style="bold cyan")
        table.add_column("KPI")
        for name in names.iloc[first:first + per_table]:
            table.add_column(name, justify="right")
        for column in frame.columns[2:]:
            table.add_row(labels.get(column, column),
                          *[_cell(value, column in rates) for value in chunk[column]])
        console.print(table)


def _cell(value: object, rate: bool) -> str:
    if value is None or pd.isna(value):
        return "–"
    if isinstance(value, str):
        return value
    if rate:
        return f"{value:.1%}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def register(app: typer.Typer) -> None:
    app.command("kpis")(kpis)
