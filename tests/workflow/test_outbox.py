"""The outbox against real servers on loopback: queueing is idempotent, a failing server is
retried with backoff and then a working one gets the message exactly once, a message is given
up after the last attempt, and a stale claim is never sent again."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from churnguard.workflow.channels import EmailSettings, NotifySettings, WebhookSettings
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import OutboxMessage
from churnguard.workflow.services.outbox import (
    outbox_summary,
    queue_messages,
    retry,
    send_due,
)
from tests.workflow.servers import free_port

T0 = datetime(2024, 6, 3, 7, 0)


def _mail(key: str, to: str = "ann@example.com") -> dict:
    return {
        "kind": "digest",
        "channel": "email",
        "recipient": to,
        "subject": f"digest {key}",
        "body": "body",
        "dedupe_key": key,
    }


def _email(port: int, **extra) -> NotifySettings:
    return NotifySettings(
        email=EmailSettings(host="127.0.0.1", port=port, sender="cg@example.com", timeout=2),
        **extra,
    )


def test_queueing_the_same_key_twice_keeps_one_message(db):
    assert (
        queue_messages(db, [_mail("digest:1:2024-06-03"), _mail("digest:1:2024-06-03")], now=T0)
        == 1
    )
    assert (
        queue_messages(db, [_mail("digest:1:2024-06-03"), _mail("digest:2:2024-06-03")], now=T0)
        == 1
    )
    assert (
        db.scalar(
            select(OutboxMessage.dedupe_key)
            .where(OutboxMessage.id > 0)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        == "digest:2:2024-06-03"
    )
    assert outbox_summary(db) == {"pending": 2, "sending": 0, "sent": 0, "failed": 0}
    with pytest.raises(InvalidInputError, match="channel\\(s\\) sms not one of"):
        queue_messages(db, [{**_mail("x"), "channel": "sms"}])


def test_a_failing_server_is_retried_with_backoff_then_the_working_one_gets_it_once(
    db, smtp_server
):
    queue_messages(db, [_mail("digest:1:2024-06-03")], now=T0)
    down = _email(free_port(), retry_minutes=5)
    assert send_due(db, down, now=T0).as_dict() == {
        "sent": 0,
        "retrying": 1,
        "failed": 0,
        "interrupted": 0,
    }
    message = db.scalar(select(OutboxMessage))
    assert message.status == "pending" and message.attempts == 1
    assert message.next_attempt_at == T0 + timedelta(minutes=5)
    assert "did not take the mail" in message.last_error
    # not due yet: nothing is tried, even against the working server
    up = _email(smtp_server.port)
    assert send_due(db, up, now=T0 + timedelta(minutes=4)).sent == 0
    # second failure doubles the wait
    send_due(db, down, now=T0 + timedelta(minutes=5))
    db.refresh(message)
    assert message.attempts == 2
    assert message.next_attempt_at == T0 + timedelta(minutes=15)
    assert send_due(db, up, now=T0 + timedelta(minutes=15)).sent == 1
    db.refresh(message)
    assert (message.status, message.attempts, message.last_error) == ("sent", 3, None)
    assert message.sent_at == T0 + timedelta(minutes=15)
    assert send_due(db, up, now=T0 + timedelta(days=1)).sent == 0
    queue_messages(db, [_mail("digest:1:2024-06-03")], now=T0 + timedelta(days=1))
    assert send_due(db, up, now=T0 + timedelta(days=1)).sent == 0
    assert [m["Subject"] for m in smtp_server.to("ann@example.com")] == [
        "digest digest:1:2024-06-03"
    ]


def test_a_message_is_given_up_after_the_last_attempt_and_can_be_retried(db, webhook_server):
    webhook_server.answers = [(200, {"errcode": 310000, "errmsg": "keywords not in content"})]
    settings = NotifySettings(
        webhooks={
            "dingtalk": WebhookSettings(url=webhook_server.url + "/robot/send?access_token=T")
        },
        max_attempts=2,
        retry_minutes=1,
    )
    queue_messages(db, [{**_mail("alert:c1"), "channel": "dingtalk", "recipient": "group"}], now=T0)
    assert send_due(db, settings, now=T0).retrying == 1
    assert send_due(db, settings, now=T0 + timedelta(minutes=1)).failed == 1
    assert send_due(db, settings, now=T0 + timedelta(hours=1)).as_dict()["failed"] == 0
    message = db.scalar(select(OutboxMessage))
    assert message.status == "failed" and "310000" in message.last_error
    assert len(webhook_server.requests) == 2
    webhook_server.answers = [(200, {"errcode": 0, "errmsg": "ok"})]
    retry(db, message.id, now=T0 + timedelta(hours=2))
    assert send_due(db, settings, now=T0 + timedelta(hours=2)).sent == 1
    assert len(webhook_server.requests) == 3
    with pytest.raises(InvalidInputError, match="only a failed message"):
        retry(db, message.id)


def test_a_stale_claim_is_marked_failed_and_never_sent_again(db, smtp_server):
    queue_messages(db, [_mail("digest:9:2024-06-03")], now=T0)
    message = db.scalar(select(OutboxMessage))
    message.status, message.next_attempt_at = "sending", T0  # a sender died mid-send
    db.commit()
    settings = _email(smtp_server.port)
    assert send_due(db, settings, now=T0 + timedelta(minutes=10)).as_dict() == {
        "sent": 0,
        "retrying": 0,
        "failed": 0,
        "interrupted": 0,
    }
    assert send_due(db, settings, now=T0 + timedelta(minutes=16)).interrupted == 1
    db.refresh(message)
    assert message.status == "failed" and "not sent again" in message.last_error
    assert smtp_server.messages == []
