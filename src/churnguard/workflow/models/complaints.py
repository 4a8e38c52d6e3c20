"""Complaints with response deadlines, surveys and answers, improvements (投诉、调查、改进)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from churnguard.workflow.models.base import Base, utcnow

SEVERITIES = ("low", "medium", "high", "critical")
COMPLAINT_STATUSES = ("open", "responded", "resolved", "closed")


class Complaint(Base):
    """A customer complaint; ``response_due_at`` follows from the severity when it is received.

    ``escalated_at``/``escalated_to_id`` are set when the deadline passed without a response;
    ``version`` is the optimistic lock.
    """

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    severity: Mapped[str] = mapped_column(String(20), default="medium")
    reason: Mapped[str | None] = mapped_column(String(80), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    response_due_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    compensation: Mapped[float] = mapped_column(Float, default=0.0)
    compensation_note: Mapped[str | None] = mapped_column(String(300))
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Survey(Base):
    """A survey sent to a customer (CSAT, NPS, complaint follow-up, exit survey)."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)


class SurveyAnswer(Base):
    """One answer: a score (CSAT 1–5, NPS 0–10) and/or a text."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    question: Mapped[str] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)


class Improvement(Base):
    """A fix for a complaint reason; the customers who raised it are told when it is done."""

    __tablename__ = "improvements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(String(80), index=True)
    description: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)


class ImprovementCustomer(Base):
    """A customer who raised the reason an improvement fixes, and whether they were told."""

    __tablename__ = "improvement_customers"
    __table_args__ = (UniqueConstraint("improvement_id", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvements.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    notified: Mapped[bool] = mapped_column(Boolean, default=False)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime)
