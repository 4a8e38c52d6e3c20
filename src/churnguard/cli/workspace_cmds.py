"""``churnguard init``, ``import`` and ``synth``: make a workspace and fill it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from churnguard.cli.common import WorkspaceOption, console
from churnguard.errors import ChurnguardError
from churnguard.io.order_lines import OrderLinesResult, order_lines_summary
from churnguard.io.schema import TABLES
from churnguard.workspace import Workspace


def parse_mapping(items: list[str] | None) -> dict[str, str] | None:
    """``["amount=销售额", …]`` → ``{"amount": "销售额"}``."""
    if not items:
        return None
    mapping = {}
    for item in items:
        canonical, sep, source = item.partition("=")
        if not sep or not canonical.strip() or not source.strip():
            raise ChurnguardError(f"--map {item!r}: use --map COLUMN=SOURCE_HEADER, "
                                  f"e.g. --map amount=销售额.")
        mapping[canonical.strip()] = source.strip()
    return mapping


def init(
    folder: Annotated[Path, typer.Argument(help="Folder of the new workspace.")],
    warehouse: Annotated[str, typer.Option(help="duckdb, pyspark or an Ibis URL.")] = "duckdb",
    database_url: Annotated[str | None, typer.Option(help="App database URL.")] = None,
) -> None:
    """Create a workspace: settings, a DuckDB warehouse and the app database URL."""
    ws = Workspace.create(folder, warehouse=warehouse, database_url=database_url)
    console.print(f"created workspace [bold]{ws.folder}[/bold] (warehouse: {ws.warehouse.kind})")
    ws.close()


def import_table(
    table: Annotated[str, typer.Argument(
        help=f"One of: {', '.join(TABLES)} (order-lines: invoice or receipt lines; the orders "
        "and customers they imply are derived).")],
    source: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK), .xlsx or .parquet file.")],
    workspace: WorkspaceOption = Path("."),
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="COLUMN=SOURCE_HEADER, repeatable (e.g. --map amount=销售额).")] = None,
    quarantine: Annotated[bool, typer.Option(
        help="Load good rows; write bad ones to a CSV with a reason column.")] = False,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet name or number.")] = None,
    encoding: Annotated[str | None, typer.Option(help="CSV encoding (detected).")] = None,
    save_mapping: Annotated[bool, typer.Option(help="Remember --map for this table.")] = False,
    decimal: Annotated[str | None, typer.Option(
        help="Decimal mark ('.' or ',') for number columns that do not show it (1,234).")
    ] = None,
    dayfirst: Annotated[bool, typer.Option(
        "--dayfirst", help="Read dates such as 05/03/2024 as 5 March.")] = False,
    monthfirst: Annotated[bool, typer.Option(
        "--monthfirst", help="Read dates such as 05/03/2024 as May 3.")] = False,
    compute: Annotated[list[str] | None, typer.Option(
        "--compute", help="NAME=EXPR, repeatable: a column computed from source columns with "
        "+ - * / and parentheses (e.g. --compute amount=Quantity*UnitPrice).")] = None,
    cancel_prefix: Annotated[str | None, typer.Option(
        "--cancel-prefix", help="Order lines: order ids starting with it are cancellations "
        "(e.g. C).")] = None,
) -> None:
    """Validate a file and load it into a warehouse table (all or nothing).

    Columns the file does not carry keep their stored values for rows already loaded.
    """
    if decimal not in (None, ".", ","):
        raise ChurnguardError(f"--decimal {decimal!r}: use --decimal . or --decimal ,")
    if dayfirst and monthfirst:
        raise ChurnguardError("--dayfirst and --monthfirst contradict each other; pass one.")
    date_order = "dayfirst" if dayfirst else "monthfirst" if monthfirst else None
    table = "order_lines" if table == "order-lines" else table
    with Workspace.open(workspace) as ws:
        result = ws.load(table, source, mapping=parse_mapping(map_), quarantine=quarantine,
                         sheet=sheet, encoding=encoding, save_mapping=save_mapping,
                         decimal=decimal, date_order=date_order, compute=compute,
                         cancel_prefix=cancel_prefix)
    console.print(
        f"{result.source} → {table}: {result.rows_read:,} rows read, {result.inserted:,} new, "
        f"{result.updated - result.unchanged:,} updated, {result.unchanged:,} unchanged, "
        f"{result.rejected:,} rejected"
    )
    if isinstance(result, OrderLinesResult):
        for line in order_lines_summary(result):
            console.print(line)
    for note in result.notes:
        console.print(f"note: {note}")
    if result.quarantine_path:
        console.print(f"[yellow]bad rows written to {result.quarantine_path}[/yellow]")


def synth(
    customers: Annotated[int, typer.Option(help="Number of customers.")] = 20_000,
    workspace: WorkspaceOption = Path("churnguard-synth"),
    years: Annotated[float, typer.Option(help="Years of history.")] = 3.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    validate: Annotated[bool, typer.Option(help="Validate rows while loading.")] = True,
) -> None:
    """Generate a synthetic company and load it into a workspace (created if missing)."""
    from churnguard.cli.progress import steps
    from churnguard.synth import generate, load

    with steps() as step:
        with step("generate company"):
            tables = generate(customers, years=years, seed=seed)
        ws = Workspace.create(workspace, exist_ok=True)
        with step("load tables", total=len(tables)) as advance:
            counts = load(ws, tables, validate=validate, progress=lambda _name: advance())
    ws.close()
    summary = ", ".join(f"{name} {n:,}" for name, n in counts.items())
    console.print(f"loaded into [bold]{workspace}[/bold]: {summary}")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("import")(import_table)
    app.command("synth")(synth)
