"""Tasks, risk cases with their stage history, retention plans and offers (任务、挽留)."""

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
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from churnguard.workflow.models.base import Base, utcnow

TASK_STATUSES = ("open", "done", "cancelled")
TASK_KINDS = ("call", "visit", "email", "care", "introduction", "complaint_follow_up",
              "win_back", "survey", "other")
STAGES = ("at_risk", "plan_in_place", "saving", "recovered", "lost")


class Task(Base):
    """A piece of work for an owner about one customer (``version`` is the optimistic lock).

    ``source_key`` identifies what generated the task (a playbook rule and the score date, a
    hand-over…) so that generating again never duplicates it.

    A task the system writes carries its title as a message: ``title_key`` (a key of the
    ``churnguard.i18n`` catalogues) and ``title_params``, rendered in the reader's language
    (:func:`churnguard.workflow.services.tasks.task_title`). ``title`` is always filled: the
    English text for those, the text as typed for a task a person wrote (no key), and what a
    reader without a language sees.
    """

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), default="call")
    title: Mapped[str] = mapped_column(String(300))
    title_key: Mapped[str | None] = mapped_column(String(80))
    title_params: Mapped[dict | None] = mapped_column(JSON)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    outcome: Mapped[str | None] = mapped_column(String(300))
    signal: Mapped[str | None] = mapped_column(String(300))
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    risk_case_id: Mapped[int | None] = mapped_column(ForeignKey("risk_cases.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    # today's tasks of one owner: open ones by due date (migration 0003)
    __table_args__ = (Index("ix_tasks_owner_status_due", "owner_id", "status", "due_date"),)


class RiskCase(Base):
    """An at-risk customer's case: ``at_risk → plan_in_place → saving → recovered | lost``."""

    __tablename__ = "risk_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    segment: Mapped[str | None] = mapped_column(String(80))
    stage: Mapped[str] = mapped_column(String(20), default="at_risk", index=True)
    reasons: Mapped[list | None] = mapped_column(JSON)
    value_at_risk: Mapped[float | None] = mapped_column(Float)
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    # an owner's cases, most value at risk first (migration 0003)
    __table_args__ = (Index("ix_risk_cases_owner_value", "owner_id",
                            value_at_risk.desc().nulls_last(), "id"),)


class CaseStage(Base):
    """One stay of a risk case in one stage (``left_at`` is null while it is there)."""

    __tablename__ = "case_stages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("risk_cases.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    entered_at: Mapped[datetime] = mapped_column(DateTime)
    left_at: Mapped[datetime | None] = mapped_column(DateTime)


class RetentionPlan(Base):
    """A personal retention plan (个性化挽留方案) for a risk case."""

    __tablename__ = "retention_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("risk_cases.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Offer(Base):
    """An offer in a plan (discount, service, gift) with its cost and whether it was accepted."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("retention_plans.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    accepted: Mapped[bool | None] = mapped_column(Boolean)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
