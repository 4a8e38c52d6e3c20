"""The outbox of notifications (发件箱) and customers' marketing opt-outs (营销退订记录)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from churnguard.workflow.models.base import Base, utcnow

#: ``pending`` (to send, maybe after a failure) → ``sending`` (claimed by a sender) → ``sent``;
#: ``failed`` after the last attempt, or when a sender stopped mid-send (never sent twice).
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")
MESSAGE_KINDS = ("digest", "risk_alert", "escalation", "campaign", "test")


class OutboxMessage(Base):
    """One message to send through one channel; ``dedupe_key`` is unique, so queueing the same
    message twice (``digest:<user>:<date>``) keeps one row and nothing is sent twice.

    The outbox is itself the log of what was sent, so its rows are not audited.
    """

    __tablename__ = "outbox"
    __audited__ = False
    __table_args__ = (Index("ix_outbox_status_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class MarketingOptOut(Base):
    """A customer's marketing consent changing: ``opted_out`` true (退订) or false (重新订阅),
    from an import (``warehouse``), a person in the app (``web``/``api``) or the CLI."""

    __tablename__ = "marketing_opt_outs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(200))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
