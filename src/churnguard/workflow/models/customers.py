"""Customers synced from the warehouse, loyalty points and the contact log (客户、积分、触达)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from churnguard.workflow.models.base import Base, utcnow


class Customer(Base):
    """A customer as the workflow sees it: owner, latest risk score and loyalty tier.

    ``owner_id`` is the app user who owns the relationship; ``warehouse_owner_id`` is the staff
    id the warehouse last said, so a re-sync only moves a customer when the warehouse changed.
    """

    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    segment: Mapped[str | None] = mapped_column(String(80), index=True)
    region: Mapped[str | None] = mapped_column(String(80))
    birthday: Mapped[date | None] = mapped_column(Date)
    signup_date: Mapped[date | None] = mapped_column(Date)
    contract_end: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    warehouse_owner_id: Mapped[str | None] = mapped_column(String(80))
    tier: Mapped[str | None] = mapped_column(String(40))
    is_core: Mapped[bool] = mapped_column(Boolean, default=False)
    p_churn: Mapped[float | None] = mapped_column(Float)
    risk_band: Mapped[str | None] = mapped_column(String(20))
    health_score: Mapped[float | None] = mapped_column(Float)
    clv: Mapped[float | None] = mapped_column(Float)
    profit_at_risk: Mapped[float | None] = mapped_column(Float)
    value_if_retained: Mapped[float | None] = mapped_column(Float)
    lifecycle: Mapped[str] = mapped_column(String(20), default="active",
                                           server_default="active")
    reasons: Mapped[list | None] = mapped_column(JSON)
    scored_as_of: Mapped[date | None] = mapped_column(Date)
    handover_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="active")
    synced_at: Mapped[datetime | None] = mapped_column(DateTime)
    # reaching the customer (migration 0006): campaign mail, its language, marketing consent
    # (an opt-out recorded in marketing_opt_outs is never overridden by an import), and the
    # p_churn the last risk-jump check saw
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str | None] = mapped_column(String(8))
    marketing_opt_out: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=false())
    alerted_p_churn: Mapped[float | None] = mapped_column(Float)

    # the save list: a book in profit-at-risk order, ties by value (a rep's, and everyone's
    # for managers and admins, who walk it and keep their team's); the win-back list of lapsing
    # customers by value; the book's size by status and list (migrations 0003, 0004)
    __table_args__ = (
        Index("ix_customers_owner_worklist", "owner_id", "lifecycle",
              profit_at_risk.desc().nulls_last(), value_if_retained.desc().nulls_last(), "id"),
        Index("ix_customers_worklist", "lifecycle", profit_at_risk.desc().nulls_last(),
              value_if_retained.desc().nulls_last(), "id"),
        Index("ix_customers_owner_winback", "owner_id", "lifecycle",
              value_if_retained.desc().nulls_last(), "id"),
        Index("ix_customers_winback", "lifecycle", value_if_retained.desc().nulls_last(), "id"),
        Index("ix_customers_owner_status", "owner_id", "lifecycle", "status"),
    )


class PointsEntry(Base):
    """One line of a customer's loyalty points ledger (积分台账); the balance is the sum."""

    __tablename__ = "points_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TierChange(Base):
    """A loyalty tier change (会员等级变化), from sync or by hand."""

    __tablename__ = "tier_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    old_tier: Mapped[str | None] = mapped_column(String(40))
    new_tier: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Contact(Base):
    """One outreach to a customer (campaign touch, care touch, task call) for contact pressure."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("customer_id", "source", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
