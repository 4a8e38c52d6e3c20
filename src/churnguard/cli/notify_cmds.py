"""``churnguard notify …``: digests now, the outbox, a test message, a person's channels.

These commands use the app database and ``[notify]`` only, never the warehouse, so they run
beside ``churnguard serve`` and a refresh.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from churnguard.cli.common import WorkspaceOption, console, parse_date, rich_table
from churnguard.errors import ChurnguardError

notify_app = typer.Typer(
    help="Notifications: daily digests, alerts, the outbox, channels.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add ``churnguard notify`` to the ``churnguard`` app."""
    app.add_typer(notify_app, name="notify")


def _open(folder: Path) -> tuple[Any, Any]:
    """The workspace settings and a session factory on its app database."""
    from churnguard.config import read_settings
    from churnguard.warehouse import require_workspace
    from churnguard.workflow.store import open_store

    require_workspace(folder)
    settings = read_settings(folder)
    url = settings.app.database_url
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url[len(prefix) :].startswith("/"):
        url = prefix + str((Path(folder) / url[len(prefix) :]).resolve())
    return settings, open_store(database_url=url)


def _counts(counts: dict[str, int], title: str) -> None:
    frame = pd.DataFrame({"what": list(counts), "count": list(counts.values())})
    console.print(rich_table(frame, title=title))


@notify_app.command("digest")
def digest_command(
    workspace: WorkspaceOption,
    day: Annotated[
        str | None, typer.Option("--day", help="The digest day YYYY-MM-DD (default: today).")
    ] = None,
    send: Annotated[
        bool, typer.Option("--send/--queue-only", help="Send now, or only queue in the outbox.")
    ] = True,
) -> None:
    """Queue and send today's digests, risk-jump alerts and escalations now (each message
    once: running it again the same day sends nothing new)."""
    from churnguard.workflow.services.notify import run_daily
    from churnguard.workflow.store import session_scope

    settings, factory = _open(workspace)
    today = parse_date(day, option="--day") if day else date.today()
    with session_scope(factory) as session:
        counts = run_daily(session, settings, today, send=send)
    _counts(counts, f"notifications for {today}")
    if counts.get("failed") or counts.get("retrying"):
        console.print(
            "[yellow]note:[/yellow] some messages did not go out; see `churnguard notify status`."
        )


@notify_app.command("send")
def send_command(workspace: WorkspaceOption) -> None:
    """Deliver the messages due in the outbox (retries included)."""
    from churnguard.workflow.services.notify import notify_settings
    from churnguard.workflow.services.outbox import send_due
    from churnguard.workflow.store import session_scope

    settings, factory = _open(workspace)
    with session_scope(factory) as session:
        result = send_due(session, notify_settings(settings))
    _counts(result.as_dict(), "outbox")


@notify_app.command("status")
def status_command(
    workspace: WorkspaceOption,
    limit: Annotated[int, typer.Option(help="Messages listed.", min=1, max=1000)] = 20,
) -> None:
    """How many messages are pending, sent and failed, and the latest ones not sent."""
    from sqlalchemy import select

    from churnguard.workflow.models import OutboxMessage
    from churnguard.workflow.services.frames import read_frame
    from churnguard.workflow.services.outbox import outbox_summary
    from churnguard.workflow.store import session_scope

    _settings, factory = _open(workspace)
    with session_scope(factory) as session:
        _counts(outbox_summary(session), "outbox")
        waiting = read_frame(
            session,
            select(
                OutboxMessage.id,
                OutboxMessage.kind,
                OutboxMessage.channel,
                OutboxMessage.recipient,
                OutboxMessage.status,
                OutboxMessage.attempts,
                OutboxMessage.next_attempt_at,
                OutboxMessage.last_error,
            )
            .where(OutboxMessage.status != "sent")
            .order_by(OutboxMessage.id.desc())
            .limit(limit),
        )
    if len(waiting):
        console.print(rich_table(waiting, title="not sent"))


@notify_app.command("retry")
def retry_command(
    message_id: Annotated[int, typer.Argument(help="The outbox message id (see status).")],
    workspace: WorkspaceOption,
) -> None:
    """Queue a failed message again (after fixing what made it fail)."""
    from churnguard.workflow.services.outbox import retry
    from churnguard.workflow.store import session_scope

    _settings, factory = _open(workspace)
    with session_scope(factory) as session:
        retry(session, message_id)
    console.print(f"message {message_id} queued again; `churnguard notify send` sends it")


@notify_app.command("test")
def test_command(
    workspace: WorkspaceOption,
    channel: Annotated[str, typer.Option(help="email, wecom, dingtalk or feishu.")] = "email",
    to: Annotated[str | None, typer.Option(help="The address (email only).")] = None,
) -> None:
    """Send one test message through a channel now, to check the settings."""
    from churnguard.workflow.channels import deliver
    from churnguard.workflow.services.notify import notify_settings

    settings, _factory = _open(workspace)
    if channel == "email" and not to:
        raise ChurnguardError("--to is required for an email test, e.g. --to you@example.com.")
    deliver(
        notify_settings(settings),
        channel,
        to or "",
        "churnguard test",
        "churnguard can reach you here. 通知渠道测试成功。",
    )
    console.print(f"sent a test message through {channel}")


@notify_app.command("prefs")
def prefs_command(
    name: Annotated[str, typer.Argument(help="Login name.")],
    workspace: WorkspaceOption,
    email: Annotated[str | None, typer.Option(help="Email address ('' removes it).")] = None,
    language: Annotated[str | None, typer.Option(help="zh or en.")] = None,
    channels: Annotated[
        str | None, typer.Option(help="Comma-separated: email,wecom,dingtalk,feishu ('' for none).")
    ] = None,
) -> None:
    """Set where and in which language a person gets digests and alerts."""
    from churnguard.workflow.services import auth
    from churnguard.workflow.services.profile import UNSET, update_profile
    from churnguard.workflow.store import session_scope

    _settings, factory = _open(workspace)
    with session_scope(factory) as session:
        user = auth.get_user(session, name)
        update_profile(
            session,
            user,
            email=UNSET if email is None else email,
            language=UNSET if language is None else language,
            notify_channels=UNSET if channels is None else channels.split(","),
        )
        shown = {
            "email": user.email,
            "language": user.language,
            "channels": "(email by default)"
            if user.notify_channels is None
            else ",".join(user.notify_channels) or "(none)",
        }
    console.print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in shown.items()))
