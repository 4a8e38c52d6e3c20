"""Win-back and retention campaigns with a random holdout group (挽回活动、对照组)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from churnguard.workflow.models.base import Base, utcnow

CAMPAIGN_KINDS = ("win_back", "retention")
OUTCOMES = ("pending", "success", "failure")


class Campaign(Base):
    """A campaign; ``holdout_share`` of the targets are drawn at random and not contacted."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="win_back")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    holdout_share: Mapped[float] = mapped_column(Float, default=0.2)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # reaching the customers (migration 0006): a task per target for its owner and/or a
    # message through ``channel`` from ``templates`` ({lang: {"subject", "body"}})
    create_tasks: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    channel: Mapped[str | None] = mapped_column(String(20))
    offer: Mapped[str | None] = mapped_column(String(500))
    templates: Mapped[dict | None] = mapped_column(JSON)
    launched_at: Mapped[datetime | None] = mapped_column(DateTime)


class CampaignMember(Base):
    """One target of a campaign: ``group`` is ``treatment`` or ``holdout``."""

    __tablename__ = "campaign_members"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    group: Mapped[str] = mapped_column(String(20))
    contacted_at: Mapped[datetime | None] = mapped_column(DateTime)
    skipped_reason: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(20), default="pending")
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
