"""Churn archive, surveys and improvements, loyalty points."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import select

from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import (
    ChurnRecord,
    Customer,
    ImprovementCustomer,
    Task,
)
from churnguard.workflow.services import archive, complaints, loyalty, surveys
from tests.workflow.builders import customer, team


def test_archive_bulk_is_idempotent_and_marks_valuable_by_tier(db):
    users = team(db)
    customer(db, "c1", users["ann"], tier="core")
    customer(db, "c2", users["ann"], tier="low")
    churned = pd.DataFrame({"customer_id": ["c1", "c2", "zz"],
                            "churn_date": ["2024-03-01", "2024-04-01", "2024-04-01"],
                            "reason": ["price", None, "service"]})
    assert archive.archive_churned(db, churned) == 2
    assert archive.archive_churned(db, churned) == 0
    rows = db.execute(select(ChurnRecord.customer_id, ChurnRecord.churn_date,
                             ChurnRecord.reason, ChurnRecord.valuable)
                      .order_by(ChurnRecord.customer_id)).all()
    assert rows == [("c1", date(2024, 3, 1), "price", True), ("c2", date(2024, 4, 1), None, False)]
    assert db.get(Customer, "c1").status == "churned"


def test_return_visits_and_win_back(db):
    users = team(db)
    c1 = customer(db, "c1", users["ann"])
    record = archive.archive_customer(db, c1, churn_date=date(2024, 3, 1), reason="price",
                                      valuable=True, notes="moved to a competitor")
    archive.add_visit(db, record, visited_on=date(2024, 4, 2), note="interested in offer",
                      by=users["ann"])
    with pytest.raises(InvalidInputError, match="before the churn date"):
        archive.mark_won_back(db, record, on=date(2024, 2, 1))
    archive.mark_won_back(db, record, on=date(2024, 5, 1))
    assert record.won_back_on == date(2024, 5, 1) and c1.status == "active"
    with pytest.raises(InvalidInputError, match="already in the churn archive"):
        archive.archive_customer(db, c1, churn_date=date(2024, 6, 1))


def test_survey_scores_are_checked_against_the_scale_and_nps_computed():
    assert surveys.nps([10, 10, 9, 7, 3]) == pytest.approx(40.0)
    assert surveys.nps([]) is None


def test_survey_answers(db):
    users = team(db)
    c1 = customer(db, "c1", users["ann"])
    survey = surveys.send_survey(db, c1, kind="nps", now=datetime(2024, 5, 1))
    with pytest.raises(InvalidInputError, match="score 11 is outside 0–10 for a nps survey"):
        surveys.record_answers(db, survey, [("recommend?", 11, None)])
    surveys.record_answers(db, survey, [("recommend?", 9, "fast delivery")],
                           now=datetime(2024, 5, 2))
    assert survey.answered_at == datetime(2024, 5, 2)
    with pytest.raises(InvalidInputError, match="survey kind 'poll'"):
        surveys.send_survey(db, c1, kind="poll")


def test_improvement_closes_the_loop_with_everyone_who_complained(db):
    users = team(db)
    c1, c2, c3 = (customer(db, cid, users["ann"]) for cid in ("c1", "c2", "c3"))
    complaints.log_complaint(db, c1, reason="delivery")
    complaints.log_complaint(db, c1, reason="delivery")
    complaints.log_complaint(db, c2, reason="delivery")
    complaints.log_complaint(db, c3, reason="price")
    fix = surveys.create_improvement(db, "delivery", "New courier with next-day delivery",
                                     by=users["mia"])
    linked = db.scalars(select(ImprovementCustomer.customer_id).where(
        ImprovementCustomer.improvement_id == fix.id).order_by(
        ImprovementCustomer.customer_id)).all()
    assert linked == ["c1", "c2"]
    assert surveys.complete_improvement(db, fix, now=datetime(2024, 6, 1)) == 2
    calls = db.scalars(select(Task.customer_id).where(Task.source_key.like(
        f"improvement:{fix.id}:%")).order_by(Task.customer_id)).all()
    assert calls == ["c1", "c2"]
    link = surveys.mark_notified(db, fix, "c1", now=datetime(2024, 6, 2))
    assert link.notified and link.notified_at == datetime(2024, 6, 2)
    with pytest.raises(InvalidInputError, match="'c3' is not linked"):
        surveys.mark_notified(db, fix, "c3")


def test_points_ledger_balance_and_no_overdraft(db):
    users = team(db)
    c1 = customer(db, "c1", users["ann"])
    assert loyalty.add_points(db, c1, 500, "order 2024-05") == 500
    assert loyalty.add_points(db, c1, -200, "redeemed gift", by=users["ann"]) == 300
    with pytest.raises(InvalidInputError, match="has 300 points; cannot redeem 400"):
        loyalty.add_points(db, c1, -400, "too much")
    assert loyalty.points_balance(db, "c1") == 300
