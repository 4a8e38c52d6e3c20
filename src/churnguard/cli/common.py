"""Options and helpers shared by CLI commands."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from churnguard.errors import ChurnguardError

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

#: Output to a file or pipe is not cut at rich's default 80 columns (a table's figures would
#: be, "8,295,9…"): tables take the width they need up to ``PIPE_WIDTH``.
PIPE_WIDTH = 240
console = Console() if sys.stdout.isatty() else Console(width=PIPE_WIDTH)

WorkspaceOption = Annotated[
    Path, typer.Option("--workspace", "-w", help="Workspace folder.", envvar="CHURNGUARD_WORKSPACE")
]


def parse_date(text: str, *, option: str) -> date:
    """Parse a CLI date (YYYY-MM-DD or YYYY-MM) or raise a readable error."""
    try:
        if len(text) == 7:
            return date.fromisoformat(text + "-01")
        return date.fromisoformat(text)
    except ValueError:
        raise ChurnguardError(f"{option} {text!r} is not a date. Use YYYY-MM-DD.") from None


def parse_span(start: str, end: str) -> tuple[date, date]:
    """``--start`` and ``--end`` (both required) as dates, or a readable error."""
    if not start or not end:
        raise ChurnguardError("--start and --end are required, e.g. --start 2025-01-01 "
                              "--end 2026-01-01.")
    return parse_date(start, option="--start"), parse_date(end, option="--end")


def open_with_orders(workspace: Path) -> Workspace:
    """Open a workspace for a command that needs orders; a readable error when it has none."""
    from churnguard.workspace import Workspace

    ws = Workspace.open(workspace)
    if not ws.has_table("orders"):
        ws.close()
        raise ChurnguardError(f"workspace {ws.folder} has no orders. Load them with "
                              f"`churnguard import orders FILE`.")
    return ws


def dates_as_text(frame: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """For ``csv``/``json``: date-time columns as ``YYYY-MM-DD`` text (other formats as is)."""
    if fmt not in ("csv", "json"):
        return frame
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[column]):
            shown[column] = shown[column].dt.strftime("%Y-%m-%d")
    return shown


def rich_table(frame: pd.DataFrame, *, title: str = "", percent: tuple[str, ...] = ()) -> Table:
    """A Rich table of ``frame``; ``percent`` columns shown as percentages."""
    table = Table(title=title, header_style="bold cyan")
    for col in frame.columns:
        table.add_column(str(col), justify="right" if frame[col].dtype.kind in "fiu" else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*[_cell(v, col in percent) for v, col in zip(row, frame.columns,
                                                                  strict=True)])
    return table


def _cell(value: object, percent: bool) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if percent and isinstance(value, float):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def write_frame(frame: pd.DataFrame, fmt: str, *, output: Path | None = None,
                title: str = "", percent: tuple[str, ...] = ()) -> None:
    """Print or write ``frame`` as ``table``, ``csv``, ``json`` or ``xlsx``."""
    if fmt == "table":
        console.print(rich_table(frame, title=title, percent=percent))
    elif fmt == "csv":
        text = frame.to_csv(index=False)
        emit_text(text, output)
    elif fmt == "json":
        text = frame.to_json(orient="records", date_format="iso", force_ascii=False, indent=2)
        emit_text(text, output)
    elif fmt == "xlsx":
        if output is None:
            raise ChurnguardError("--format xlsx needs --output FILE.xlsx.")
        frame.to_excel(output, index=False)
        console.print(f"wrote {output}")
    else:
        raise ChurnguardError(f"--format {fmt!r} is not one of table, csv, json, xlsx.")


def emit_text(text: str, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` and say so."""
    if output is None:
        typer.echo(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
