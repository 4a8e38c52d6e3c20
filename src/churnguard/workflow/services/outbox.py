"""The outbox (发件箱): messages are queued in the app store, then a sender delivers the due
ones with retries and backoff. Nothing is sent twice.

- Queueing is idempotent: each message has a unique ``dedupe_key`` (``digest:<user>:<date>``,
  ``campaign:<id>:<customer>``…); queueing a key that exists keeps the existing row.
- :func:`send_due` *claims* a message (``pending`` → ``sending``, committed) before it talks to
  the server, and records the result after. A failure puts the message back to ``pending`` with
  the next attempt ``retry_minutes`` × 2^(attempts−1) later, until ``max_attempts``, then
  ``failed``. A message left in ``sending`` by a sender that stopped mid-send (crash, kill) is
  marked ``failed`` after ``stale_minutes``: it may or may not have gone out, and sending it
  again could send it twice (an admin can re-queue it: :func:`retry`).

Examples
--------
>>> backoff(1, 5.0), backoff(3, 5.0)
(datetime.timedelta(seconds=300), datetime.timedelta(seconds=1200))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from churnguard.workflow.channels import CHANNELS, DeliveryError, NotifySettings, deliver
from churnguard.workflow.db import writing
from churnguard.workflow.errors import InvalidInputError, NotFoundError
from churnguard.workflow.models import OutboxMessage, utcnow
from churnguard.workflow.models.notify import OUTBOX_STATUSES

FIELDS = ("kind", "channel", "recipient", "subject", "body", "dedupe_key", "user_id", "customer_id")
CHUNK = 500


@dataclass
class SendResult:
    """What one :func:`send_due` run did: messages ``sent``, put back to ``retrying`` after a
    failure, given up (``failed``), and stale claims marked failed (``interrupted``)."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    interrupted: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def backoff(attempts: int, retry_minutes: float) -> timedelta:
    """The wait after the ``attempts``-th failure: ``retry_minutes`` × 2^(attempts−1)."""
    return timedelta(minutes=retry_minutes * 2 ** max(attempts - 1, 0))


def queue_messages(
    session: Session, messages: Iterable[Mapping[str, Any]], *, now: datetime | None = None
) -> int:
    """Queue ``messages`` (dicts with :data:`FIELDS`; ``user_id``/``customer_id`` optional);
    keys already in the outbox are left as they are. Returns how many were new."""
    rows = [dict(m) for m in messages]
    if not rows:
        return 0
    bad = {r["channel"] for r in rows} - set(CHANNELS)
    if bad:
        raise InvalidInputError(
            f"channel(s) {', '.join(sorted(bad))} not one of {', '.join(CHANNELS)}."
        )
    now = now or utcnow()
    fresh: dict[str, dict[str, Any]] = {}
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        known = set(
            session.scalars(
                select(OutboxMessage.dedupe_key).where(
                    OutboxMessage.dedupe_key.in_([r["dedupe_key"] for r in part])
                )
            )
        )
        for row in part:
            if row["dedupe_key"] not in known:
                fresh.setdefault(
                    row["dedupe_key"],
                    {
                        "user_id": None,
                        "customer_id": None,
                        **{k: row.get(k) for k in FIELDS},
                        "subject": str(row["subject"])[:300],
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    },
                )
    if fresh:
        session.execute(insert(OutboxMessage), list(fresh.values()))
    return len(fresh)


def send_due(
    session: Session,
    settings: NotifySettings,
    *,
    now: datetime | None = None,
    limit: int | None = None,
    stale_minutes: float = 15.0,
) -> SendResult:
    """Deliver the messages due at ``now`` (oldest first, at most ``limit``).

    Commits ``session`` around each message (claim, then result), so no transaction stays
    open while a server is talked to and every outcome is kept even if a later one fails.
    """
    now = now or utcnow()
    result = SendResult()
    session.commit()
    writing(session)
    result.interrupted = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == "sending",
            OutboxMessage.next_attempt_at < now - timedelta(minutes=stale_minutes),
        )
        .values(
            status="failed",
            last_error="the sender stopped while sending; not sent again so it cannot arrive twice",
        )
    ).rowcount
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    )
    ids = list(session.scalars(due.limit(limit) if limit else due))
    session.commit()
    for message_id in ids:  # one network exchange per message: this loop is the sending
        outcome = _send_one(session, settings, message_id, now)
        if outcome:
            setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def _send_one(
    session: Session, settings: NotifySettings, message_id: int, now: datetime
) -> str | None:
    writing(session)
    claimed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
        .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=now)
    ).rowcount
    if claimed != 1:  # another sender took it
        session.rollback()
        return None
    message = session.get(OutboxMessage, message_id)
    assert message is not None
    channel, recipient, subject, body = (
        message.channel,
        message.recipient,
        message.subject,
        message.body,
    )
    attempts = message.attempts
    session.commit()
    try:
        deliver(settings, channel, recipient, subject, body)
    except DeliveryError as exc:
        writing(session)
        give_up = attempts >= settings.max_attempts
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                status="failed" if give_up else "pending",
                last_error=str(exc)[:2000],
                next_attempt_at=now + backoff(attempts, settings.retry_minutes),
            )
        )
        session.commit()
        return "failed" if give_up else "retrying"
    writing(session)
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status="sent", sent_at=now, last_error=None)
    )
    session.commit()
    return "sent"


def retry(session: Session, message_id: int, *, now: datetime | None = None) -> OutboxMessage:
    """Put a ``failed`` message back in the queue (an admin's decision, e.g. after fixing the
    SMTP settings); its attempts start again."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFoundError(f"outbox message {message_id} does not exist.")
    if message.status != "failed":
        raise InvalidInputError(
            f"outbox message {message_id} is {message.status}; only a "
            f"failed message can be sent again."
        )
    message.status, message.attempts, message.next_attempt_at = "pending", 0, now or utcnow()
    session.flush()
    return message


def outbox_summary(session: Session) -> dict[str, int]:
    """How many messages are in each status."""
    counts = dict.fromkeys(OUTBOX_STATUSES, 0)
    counts.update(
        {
            status: int(n)
            for status, n in session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
        }
    )
    return counts
