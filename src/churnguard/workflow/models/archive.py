"""The churn archive with return visits, and hand-overs of customers (流失档案、交接)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from churnguard.workflow.models.base import Base, utcnow


class ChurnRecord(Base):
    """A churned customer in the archive (流失客户档案): when, why, worth winning back?"""

    __tablename__ = "churn_archive"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), unique=True)
    churn_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(80))
    valuable: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    won_back_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ReturnVisit(Base):
    """A visit to a churned customer (回访) and what came of it."""

    __tablename__ = "return_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("churn_archive.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)


class HandOver(Base):
    """A customer moved from a leaving (or any) owner to a new one (客户交接)."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(200))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    intro_task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
