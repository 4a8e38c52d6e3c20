"""``churnguard notify``: a person's channels, digests sent now to a loopback SMTP server (and
not again), the outbox status, a test message and its clear errors."""

from __future__ import annotations

from datetime import date

from tests.workflow.builders import customer
from tests.workflow.servers import free_port, smtp_server  # noqa: F401
from typer.testing import CliRunner

from churnguard import Workspace
from churnguard.cli import app
from churnguard.workflow.models import Task
from churnguard.workflow.services.auth import create_user
from churnguard.workflow.store import open_store, session_scope


def _workspace(tmp_path, port: int) -> Workspace:
    ws = Workspace.create(tmp_path / "shop")
    with open(ws.folder / "churnguard.toml", "a", encoding="utf-8") as toml:
        toml.write(
            f'\n[notify.email]\nhost = "127.0.0.1"\nport = {port}\nsender = "cg@example.com"\n'
        )
    ws.close()
    with session_scope(open_store(ws)) as session:
        ann = create_user(session, "ann", "pw-ann-123", role="rep")
        customer(session, "c1", ann, name="Acme")
        session.add(
            Task(
                customer_id="c1",
                owner_id=ann.id,
                title="Call Acme",
                due_date=date(2024, 6, 3),
                status="open",
            )
        )
    return ws


def test_prefs_then_digest_reaches_the_mailbox_once(tmp_path, smtp_server):  # noqa: F811
    ws = _workspace(tmp_path, smtp_server.port)
    runner, where = CliRunner(), ["--workspace", str(ws.folder)]
    result = runner.invoke(
        app,
        [
            "notify",
            "prefs",
            "ann",
            *where,
            "--email",
            "ann@example.com",
            "--language",
            "en",
            "--channels",
            "email",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "ann: email ann@example.com, language en, channels email" in result.output
    result = runner.invoke(app, ["notify", "digest", *where, "--day", "2024-06-03"])
    assert result.exit_code == 0, result.output
    [mail] = smtp_server.to("ann@example.com")
    assert mail["Subject"] == "Your day 2024-06-03: 1 tasks due, 0 new high-risk customers"
    assert "- Call Acme (due 2024-06-03)" in mail.get_content()
    assert runner.invoke(app, ["notify", "digest", *where, "--day", "2024-06-03"]).exit_code == 0
    assert len(smtp_server.messages) == 1
    status = runner.invoke(app, ["notify", "status", *where])
    assert status.exit_code == 0 and "sent" in status.output
    assert runner.invoke(app, ["notify", "test", *where, "--to", "me@example.com"]).exit_code == 0
    assert smtp_server.to("me@example.com")[0]["Subject"] == "churnguard test"


def test_errors_are_one_clear_line(tmp_path):
    ws = _workspace(tmp_path, free_port())
    runner, where = CliRunner(), ["--workspace", str(ws.folder)]
    bad = runner.invoke(app, ["notify", "prefs", "ann", *where, "--channels", "sms"])
    assert bad.exit_code != 0 and "channel(s) sms not one of" in str(bad.exception)
    down = runner.invoke(app, ["notify", "test", *where, "--to", "me@example.com"])
    assert "did not take the mail" in str(down.exception)
    hook = runner.invoke(app, ["notify", "test", *where, "--channel", "feishu"])
    assert "add [notify.feishu]" in str(hook.exception)
