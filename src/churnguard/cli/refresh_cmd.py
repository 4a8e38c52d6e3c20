"""``churnguard refresh``: the daily pipeline, recorded as a job in the app database."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from churnguard.cli.common import WorkspaceOption, console, parse_date, rich_table
from churnguard.errors import ChurnguardError


def register(app: typer.Typer) -> None:
    app.command("refresh")(refresh_command)


def refresh_command(
    workspace: WorkspaceOption,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Scoring and sync date (default: the day after the newest order).")
    ] = None,
    notify: Annotated[bool, typer.Option(help="Send the daily notifications at the end.")
                      ] = True,
) -> None:
    """Import new data from the [sources.*] of churnguard.toml, score, sync and notify.

    Runs beside `churnguard serve`: the app switches to the new data when it is all done, and
    keeps yesterday's when a step fails. Files already imported are skipped."""
    from churnguard.refresh import STEPS, refresh
    from churnguard.warehouse import require_workspace
    from churnguard.workflow.jobs import start_job
    from churnguard.workflow.store import open_store
    from churnguard.workspace import Workspace

    require_workspace(workspace)
    day = parse_date(as_of, option="--as-of") if as_of else None
    with Workspace.open(workspace, mode="read") as ws:
        factory = open_store(ws)
    outcome: dict[str, Any] = {}
    progress = Progress(SpinnerColumn(), TextColumn("{task.description:<10}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                        console=console)
    bars = {step: progress.add_task(step, total=None, start=False) for step in STEPS}

    def work(job: Any) -> dict[str, Any]:
        def report(step: str, done: int, total: int | None) -> None:
            progress.start_task(bars[step])
            progress.update(bars[step], completed=done, total=total)
            job.progress(STEPS.index(step), total=len(STEPS), step=step,
                         message=f"{step}: {done}/{total}")

        result = refresh(workspace, as_of=day, notify=notify, report=report)
        job.add(rows=result.rows)
        job.message = f"published {result.version}" if result.version else "nothing new"
        outcome["result"] = result
        return {"as_of": str(result.as_of), "imported": result.imported,
                "scored": result.scored, "synced": result.synced,
                "notified": result.notified, "version": result.version}

    with progress:
        job_id = start_job(factory, "refresh", work, background=False)
    result = outcome.get("result")
    if result is None:
        from churnguard.workflow.models import Job

        with factory() as session:
            failed = session.get(Job, job_id)
            raise ChurnguardError(f"{failed.message} (job {job_id})")
    _summary(result, job_id)


def _summary(result: Any, job_id: int) -> None:
    if result.imported:
        console.print(rich_table(pd.DataFrame(result.imported), title="imported"))
    else:
        console.print("imported: nothing new")
    if result.as_of is not None:
        console.print(f"scored {result.scored:,} customers as of {result.as_of}")
    if result.synced:
        synced = ", ".join(f"{k} {v:,}" for k, v in result.synced.items() if v)
        console.print(f"synced: {synced or 'no changes'}")
    if result.notified:
        sent = ", ".join(f"{k} {v:,}" for k, v in result.notified.items() if v)
        console.print(f"notifications: {sent or 'nothing to send'}")
    for note in result.notes:
        console.print(f"note: {note}")
    published = f"published warehouse version {result.version}" if result.version else \
        "no new warehouse version (nothing changed)"
    console.print(f"{published} · job {job_id}")
