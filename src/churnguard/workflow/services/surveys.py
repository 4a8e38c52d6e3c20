"""Surveys (CSAT 1–5, NPS 0–10, complaint follow-ups, exit surveys) and improvements that
close the feedback loop (改进后向客户通报).

Examples
--------
>>> nps([10, 9, 8, 6, 0])
0.0
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import (
    Complaint,
    Customer,
    Improvement,
    ImprovementCustomer,
    Survey,
    SurveyAnswer,
    User,
    utcnow,
)
from churnguard.workflow.services.tasks import create_task

SURVEY_KINDS = {"csat": (1, 5), "nps": (0, 10), "complaint_follow_up": (1, 5),
                "exit": (1, 5)}


def nps(scores: Sequence[float]) -> float | None:
    """Net promoter score in points: % promoters (9–10) minus % detractors (0–6)."""
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return 100.0 * (promoters - detractors) / len(scores)


def send_survey(session: Session, customer: Customer, *, kind: str = "csat",
                complaint_id: int | None = None, now: datetime | None = None) -> Survey:
    """Record that a survey was sent."""
    if kind not in SURVEY_KINDS:
        raise InvalidInputError(f"survey kind {kind!r} is not one of {', '.join(SURVEY_KINDS)}.")
    survey = Survey(customer_id=customer.id, kind=kind, complaint_id=complaint_id,
                    sent_at=now or utcnow())
    session.add(survey)
    session.flush()
    return survey


def record_answers(session: Session, survey: Survey,
                   answers: Sequence[tuple[str, float | None, str | None]], *,
                   now: datetime | None = None) -> list[SurveyAnswer]:
    """Store ``(question, score, text)`` answers; scores must be on the kind's scale."""
    low, high = SURVEY_KINDS[survey.kind]
    rows = []
    for question, score, text in answers:
        if score is not None and not low <= score <= high:
            raise InvalidInputError(f"{question!r}: score {score} is outside {low}–{high} for a "
                                    f"{survey.kind} survey.")
        rows.append(SurveyAnswer(survey_id=survey.id, question=question, score=score, text=text))
    session.add_all(rows)
    survey.answered_at = now or utcnow()
    session.flush()
    return rows


def create_improvement(session: Session, reason: str, description: str, *,
                       by: User | None = None) -> Improvement:
    """A fix for complaint ``reason``; links every customer who complained for that reason."""
    improvement = Improvement(reason=reason, description=description,
                              created_by_id=by.id if by else None)
    session.add(improvement)
    session.flush()
    seen: set[str] = set()
    for complaint in session.scalars(select(Complaint).where(Complaint.reason == reason)
                                     .order_by(Complaint.received_at)):
        if complaint.customer_id not in seen:
            seen.add(complaint.customer_id)
            session.add(ImprovementCustomer(improvement_id=improvement.id,
                                            customer_id=complaint.customer_id,
                                            complaint_id=complaint.id))
    session.flush()
    return improvement


def complete_improvement(session: Session, improvement: Improvement, *,
                         now: datetime | None = None,
                         only: ColumnElement[bool] | None = None) -> int:
    """Mark the fix done and give each affected customer's owner a task to tell them;
    returns the number of customers to notify. ``only`` narrows the customers (a manager
    notifies their team's: ``scope.on_visible_customer(user, ImprovementCustomer.customer_id)``).
    """
    now = now or utcnow()
    improvement.done_at = now
    links = session.scalars(select(ImprovementCustomer).where(
        ImprovementCustomer.improvement_id == improvement.id,
        ImprovementCustomer.notified.is_(False), true() if only is None else only)).all()
    for link in links:
        customer = session.get(Customer, link.customer_id)
        if customer is not None:
            create_task(session, customer, kind="call", due_date=now.date(),
                        title_key="tasktitle.improvement",
                        title_params={"description": improvement.description[:120]},
                        source_key=f"improvement:{improvement.id}:{customer.id}")
    session.flush()
    return len(links)


def mark_notified(session: Session, improvement: Improvement, customer_id: str, *,
                  now: datetime | None = None) -> ImprovementCustomer:
    """Record that the customer was told about the fix."""
    link = session.scalar(select(ImprovementCustomer).where(
        ImprovementCustomer.improvement_id == improvement.id,
        ImprovementCustomer.customer_id == customer_id))
    if link is None:
        raise InvalidInputError(f"customer {customer_id!r} is not linked to improvement "
                                f"{improvement.id}.")
    link.notified = True
    link.notified_at = now or utcnow()
    session.flush()
    return link
