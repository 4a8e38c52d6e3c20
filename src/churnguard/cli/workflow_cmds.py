"""``churnguard sync``, ``churnguard user …`` and ``churnguard serve``."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer
from sqlalchemy import select

from churnguard.cli.common import WorkspaceOption, console, parse_date, rich_table
from churnguard.errors import ChurnguardError

user_app = typer.Typer(help="Manage the people who log in (admin, manager, rep).",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the workflow commands to the ``churnguard`` app."""
    app.command("sync")(sync_command)
    app.command("serve")(serve_command)
    app.add_typer(user_app, name="user")


def _workspace(folder: object, *, mode: str = "write") -> object:
    from churnguard import Workspace

    return Workspace.open(folder, mode=mode)  # type: ignore[arg-type]


def sync_command(
    workspace: WorkspaceOption,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Act as of this date "
                                              "(default: the latest risk scores).")] = None,
) -> None:
    """Pull customers, owners, risk scores and tiers into the workflow; create tasks by the
    playbooks in churnguard.toml; push complaints, outcomes and the churn archive back.
    Safe to run again."""
    from churnguard.workflow.services.sync import sync
    from churnguard.workflow.store import open_store, session_scope

    ws = _workspace(workspace)
    when = parse_date(as_of, option="--as-of") if as_of else None
    with session_scope(open_store(ws)) as session:
        result = sync(ws, session, as_of=when)
    frame = pd.DataFrame({"what": list(result.counts), "count": list(result.counts.values())})
    console.print(rich_table(frame, title=f"sync as of {result.as_of}"))
    if result.pushed:
        pushed = ", ".join(f"{name} ({rows})" for name, rows in result.pushed.items())
        console.print(f"pushed to the warehouse: {pushed}")
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {note}")


def serve_command(
    workspace: WorkspaceOption,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL as the app "
                                         "database for more than one).")] = 1,
) -> None:
    """Start the web app (pages, JSON API under /api, OpenAPI at /docs).

    The server reads the warehouse version that batch jobs last published, so `churnguard
    import`, `score`, `sync`, `report` and `refresh` run beside it (docs/operations.md)."""
    import uvicorn

    from churnguard.web.app import create_app

    ws = _workspace(workspace, mode="read")
    if workers > 1 and ws.app_database_url.startswith("sqlite"):  # type: ignore[attr-defined]
        ws.close()  # type: ignore[attr-defined]
        raise ChurnguardError(
            "--workers > 1 needs PostgreSQL as the app database (SQLite lets one process "
            "write at a time): set [app] database_url = \"postgresql://…\" in churnguard.toml, "
            "or use one worker (it serves 20 concurrent users; see docs/operations.md).")
    console.print(f"churnguard on http://{host}:{port}  (API docs: /docs)")
    if workers > 1:
        import os

        from churnguard.web.app import workspace_secret
        from churnguard.workflow.store import open_store

        open_store(ws)  # migrate once, before the workers start
        workspace_secret(ws)  # one cookie secret for every worker
        ws.close()  # type: ignore[attr-defined]  # each worker opens the workspace itself
        os.environ["CHURNGUARD_WORKSPACE"] = str(ws.folder)  # type: ignore[attr-defined]
        uvicorn.run("churnguard.web.app:app_from_environment", factory=True, host=host,
                    port=port, workers=workers, log_level="warning", proxy_headers=False)
        return
    from churnguard.web.pages import warm_cache

    app = create_app(ws)
    warm_cache(app)  # the dashboard's aggregates, computed while the server starts
    # the app reads X-Forwarded-For itself, only from [app] trusted_proxies
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    workspace: WorkspaceOption,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True,
                                          envvar="CHURNGUARD_PASSWORD",
                                          help="Asked for when not given.")],
    role: Annotated[str, typer.Option(help="admin, manager or rep.")] = "rep",
    manager: Annotated[str | None, typer.Option(help="The manager's login name.")] = None,
    staff_id: Annotated[str | None, typer.Option(help="Link to this staff_id of the "
                                                 "warehouse (takes over its customers).")] = None,
) -> None:
    """Create a user who can log in."""
    from churnguard.workflow.models import User
    from churnguard.workflow.services import auth
    from churnguard.workflow.store import open_store, session_scope

    with session_scope(open_store(_workspace(workspace))) as session:
        boss = auth.get_user(session, manager) if manager else None
        synced = session.scalar(select(User).where(User.staff_id == staff_id)) if staff_id \
            else None
        if synced is not None:  # a staff member synced from the warehouse: claim the account
            if synced.password_hash:
                raise ChurnguardError(f"staff {staff_id} already has the login "
                                      f"{synced.username!r}.")
            synced.username, synced.role = name, role
            synced.manager_id = boss.id if boss else synced.manager_id
            auth.set_password(session, synced, password)
        else:
            auth.create_user(session, name, password, role=role, staff_id=staff_id,
                             manager_id=boss.id if boss else None)
    console.print(f"created user {name} ({role})")


@user_app.command("passwd")
def user_passwd(
    name: Annotated[str, typer.Argument(help="Login name.")],
    workspace: WorkspaceOption,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True,
                                          envvar="CHURNGUARD_PASSWORD")],
) -> None:
    """Set a new password (ends the user's sessions)."""
    from churnguard.workflow.services import auth
    from churnguard.workflow.store import open_store, session_scope

    with session_scope(open_store(_workspace(workspace))) as session:
        auth.set_password(session, auth.get_user(session, name), password)
    console.print(f"password of {name} changed")


@user_app.command("list")
def user_list(workspace: WorkspaceOption) -> None:
    """List the users."""
    from churnguard.workflow.models import User
    from churnguard.workflow.store import open_store, session_scope

    with session_scope(open_store(_workspace(workspace))) as session:
        users = session.scalars(select(User).order_by(User.role, User.username)).all()
        frame = pd.DataFrame([{**u.public(), "can_log_in": bool(u.password_hash)}
                              for u in users])
    console.print(rich_table(frame, title="users") if len(frame) else "no users yet")


@user_app.command("leave")
def user_leave(
    name: Annotated[str, typer.Argument(help="Login name of the person leaving.")],
    workspace: WorkspaceOption,
    on: Annotated[str, typer.Option(help="Leaving date YYYY-MM-DD.")],
    to: Annotated[list[str] | None, typer.Option(help="Hand the customers to these users "
                                                 "(repeat); least loaded first.")] = None,
) -> None:
    """Mark someone as leaving: flag and list their customers, optionally hand them over."""
    from churnguard.workflow.services import auth, handover
    from churnguard.workflow.store import open_store, session_scope

    factory = open_store(_workspace(workspace))
    with session_scope(factory) as session:
        user = auth.get_user(session, name)
        customers = handover.mark_leaving(session, user, left_on=parse_date(on, option="--on"))
        console.print(f"{name} leaves on {on}; {len(customers)} customers flagged for hand-over")
        targets = [auth.get_user(session, n).id for n in to or []]
        leaver = user.id
    if to:
        from churnguard.workflow.models import Job
        from churnguard.workflow.services.handover_job import start_handover

        job_id = start_handover(factory, leaver, targets, background=False,
                                rule="least_loaded", reason=f"hand-over from {name}")
        with session_scope(factory) as session:
            job = session.get(Job, job_id)
            if job.status != "succeeded":
                raise ChurnguardError(f"hand-over job {job_id} failed: {job.message}")
            detail = job.detail or {}
        console.print(f"handed over {detail.get('moved', 0)} customers to {', '.join(to)} "
                      f"({detail.get('introductions', 0)} introduction tasks; job {job_id})")
