"""Care events generated ahead: birthdays, holidays, contract anniversaries (客户关怀)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from churnguard.workflow.models.base import Base

CARE_KINDS = ("birthday", "spring_festival", "mid_autumn", "new_year", "contract_anniversary")


class CareEvent(Base):
    """A care touch due on ``event_date`` (status ``planned``, ``done`` or ``skipped``)."""

    __tablename__ = "care_events"
    __table_args__ = (UniqueConstraint("customer_id", "kind", "event_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    event_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
