"""``/api/surveys`` and ``/api/improvements``: satisfaction surveys and closing the loop."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from churnguard.constraints import Code, RecordId, Score, ShortText, Text
from churnguard.web.deps import CurrentUser, DbSession, Manager, VisibleSurvey
from churnguard.workflow.models import Improvement, ImprovementCustomer
from churnguard.workflow.services import scope
from churnguard.workflow.services import surveys as service

router = APIRouter(tags=["surveys"])


class SurveyCreate(BaseModel):
    customer_id: str
    kind: ShortText = "csat"


class Answer(BaseModel):
    question: ShortText
    score: Score | None = None
    text: Text | None = None


class SurveyPublic(BaseModel):
    id: int
    customer_id: str
    kind: str
    complaint_id: int | None
    sent_at: datetime
    answered_at: datetime | None


class ImprovementCreate(BaseModel):
    reason: Code
    description: Text


def _survey(survey: Any) -> SurveyPublic:
    return SurveyPublic(**{k: getattr(survey, k) for k in SurveyPublic.model_fields})


def _improvement(row: Improvement) -> dict[str, Any]:
    return {"id": row.id, "reason": row.reason, "description": row.description,
            "created_at": row.created_at, "done_at": row.done_at}


@router.post("/surveys", status_code=201)
def send(body: SurveyCreate, user: CurrentUser, db: DbSession) -> SurveyPublic:
    """Record a survey sent to a customer the caller may see."""
    customer = scope.get_customer(db, user, body.customer_id)
    return _survey(service.send_survey(db, customer, kind=body.kind))


@router.post("/surveys/{survey_id}/answers")
def answer(survey: VisibleSurvey, body: list[Answer], db: DbSession) -> SurveyPublic:
    """Store the answers (scores on the survey's scale)."""
    service.record_answers(db, survey, [(a.question, a.score, a.text) for a in body])
    return _survey(survey)


@router.get("/improvements")
def list_improvements(user: CurrentUser, db: DbSession) -> list[dict[str, Any]]:
    """All improvements, newest first (everyone may see what was fixed)."""
    rows = db.scalars(select(Improvement).order_by(Improvement.id.desc()))
    return [_improvement(r) for r in rows]


@router.post("/improvements", status_code=201)
def create_improvement(body: ImprovementCreate, user: Manager, db: DbSession
                       ) -> dict[str, Any]:
    """Record a fix for a complaint reason (managers and admins)."""
    return _improvement(service.create_improvement(db, body.reason, body.description, by=user))


@router.post("/improvements/{improvement_id}/done")
def complete(improvement_id: RecordId, user: Manager, db: DbSession) -> dict[str, Any]:
    """Mark the fix done: the owners get a task to tell each customer who complained (a
    manager's team's customers; the fix must be their team's or touch their customers)."""
    row = scope.get_improvement(db, user, improvement_id)
    only = scope.on_visible_customer(user, ImprovementCustomer.customer_id)
    return {**_improvement(row), "to_notify": service.complete_improvement(db, row, only=only)}
