"""``churnguard report``: the monthly retention review as HTML, Excel or PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from churnguard.cli.common import WorkspaceOption, console, parse_date
from churnguard.errors import ChurnguardError


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""
    app.command("report")(report)


def report(
    workspace: WorkspaceOption,
    month: Annotated[str, typer.Option("--month", "-m", help="Month to review, YYYY-MM.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="html, xlsx or pdf.")] = "html",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="File to write (default: review-YYYY-MM.<format> in the "
        "workspace).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Labels in zh or en.")] = "zh",
    segment: Annotated[str | None, typer.Option(help="Only this customer segment.")] = None,
    region: Annotated[str | None, typer.Option(help="Only this region.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only customers of this owner id.")] = None,
) -> None:
    """Write the monthly retention review (the dashboard's content) as html, xlsx or pdf."""
    from churnguard.report.monthly import FORMATS, write_monthly_report
    from churnguard.workspace import Workspace

    if fmt not in FORMATS:
        raise ChurnguardError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}.")
    if lang not in ("zh", "en"):
        raise ChurnguardError(f"--lang {lang!r} is not one of zh, en.")
    day = parse_date(month, option="--month")
    with Workspace.open(workspace, mode="read") as ws:  # the published data; never waits
        target = output or Path(ws.folder) / f"review-{day:%Y-%m}.{fmt}"
        path = write_monthly_report(ws, day, target, fmt=fmt, lang=lang, segment=segment,
                                    region=region, owner=owner)
    console.print(f"wrote {path}")
