"""``churnguard demo``: a synthetic company, loaded, measured and reported, in one command."""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from churnguard.cli.common import console, rich_table
from churnguard.cli.progress import steps
from churnguard.errors import WorkspaceError
from churnguard.workspace import Workspace

SUMMARY_COLUMNS = {
    "period_start": "month",
    "customers_end": "active customers",
    "new_customers": "new",
    "churned_customers": "churned",
    "reactivated_customers": "won back",
    "churn_rate": "churn rate",
    "revenue": "revenue",
    "revenue_churn_rate": "revenue churn",
}


def _fresh_workspace(folder: Path) -> Workspace:
    if folder.exists() and any(folder.iterdir()):
        if not (folder / "churnguard.toml").exists():
            raise WorkspaceError(f"{folder}: exists and is not a churnguard workspace; "
                                 f"choose another --workspace.")
        shutil.rmtree(folder)
    return Workspace.create(folder)


def demo(
    workspace: Annotated[
        Path, typer.Option("--workspace", "-w", help="Folder to (re)create.")
    ] = Path("churnguard-demo"),
    customers: Annotated[int, typer.Option(help="Customers in the synthetic company.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Generate a synthetic company, load it, compute retention numbers, write report.html."""
    from churnguard.metrics import loyalty_kpis
    from churnguard.report.document import write_html
    from churnguard.report.sections import build_sections
    from churnguard.synth import generate, load

    started = time.perf_counter()
    as_of = date.today()  # a current demo: complaints, tasks and care dates are not overdue
    start = date(as_of.year - 2, as_of.month, 1)
    with steps() as step:
        with step("generate synthetic company"):
            tables = generate(customers, years=3, seed=seed, end=as_of)
        ws = _fresh_workspace(workspace)
        with step("validate and load tables", total=len(tables)) as advance:
            load(ws, tables, progress=lambda _name: advance())
        with step("retention numbers"):
            kpis = loyalty_kpis(ws, start, as_of, freq="month")
        with step("report sections"):
            sections = build_sections(ws, as_of)
        with step("write report.html"):
            report = write_html(ws.folder / "report.html", "churnguard demo · 客户保留报告",
                                sections, subtitle=f"synthetic company, {customers:,} customers, "
                                                   f"as of {as_of:%Y-%m-%d}")
        users = _seed_app(ws, step)
        _monthly_review(ws, as_of, step)
    ws.close()
    shown = kpis[list(SUMMARY_COLUMNS)].tail(12).rename(columns=SUMMARY_COLUMNS)
    shown["month"] = pd.to_datetime(shown["month"]).dt.strftime("%Y-%m")
    shown["revenue"] = shown["revenue"].round().astype("int64")
    console.print(rich_table(shown, title="Last 12 months",
                             percent=("churn rate", "revenue churn")))
    console.print(f"report: [bold]{report}[/bold]")
    console.print(f"more: churnguard cohorts -w {workspace} --as-of {as_of} --cohort quarter · "
                  f"churnguard movements -w {workspace} --start {start} --end {as_of} "
                  f"--freq quarter · churnguard value -w {workspace} --validate · "
                  f"churnguard train -w {workspace} --as-of {as_of}, then "
                  f"churnguard score -w {workspace} --as-of {as_of} --top 20")
    console.print(f"web app: churnguard serve --workspace {workspace}  → "
                  f"http://127.0.0.1:8000 (users: {', '.join(users)}; password 'demo')")
    console.print("[yellow]warning: the demo passwords are 'demo' — change them before "
                  "sharing this workspace.[/yellow]")
    console.print(f"done in {time.perf_counter() - started:.1f} s")


def _seed_app(ws: Workspace, step) -> list[str]:
    from churnguard.workflow.demo import seed_demo

    with step("app users, owners, tasks"):
        created = seed_demo(ws)
    return [f"{user['username']} ({user['role']})" for user in created["users"]]


def _monthly_review(ws: Workspace, as_of: date, step) -> None:
    from churnguard.report.monthly import write_monthly_report

    month = (pd.Timestamp(as_of) - pd.DateOffset(months=1)).date()
    with step("monthly review report"):
        write_monthly_report(ws, month, ws.folder / f"review-{month:%Y-%m}.html", fmt="html")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
