"""Complaints: deadlines by severity, escalation to the manager, resolution, follow-up."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from churnguard.constraints import OutOfRangeError
from churnguard.workflow.errors import ConflictError, InvalidInputError
from churnguard.workflow.models import Survey, Task
from churnguard.workflow.services import complaints
from churnguard.workflow.settings import WorkflowPolicy
from tests.workflow.builders import customer, team

RECEIVED = datetime(2024, 5, 1, 9, 0)


@pytest.mark.parametrize(("severity", "due"), [
    ("critical", datetime(2024, 5, 1, 13, 0)), ("high", datetime(2024, 5, 2, 9, 0)),
    ("medium", datetime(2024, 5, 3, 9, 0)), ("low", datetime(2024, 5, 6, 9, 0))])
def test_response_deadline_follows_severity(severity, due):
    assert complaints.response_deadline(RECEIVED, severity, WorkflowPolicy()) == due


def test_deadline_hours_come_from_the_toml_and_unknown_severity_is_refused():
    policy = WorkflowPolicy.from_section({"response_hours": {"high": 8}})
    assert complaints.response_deadline(RECEIVED, "high", policy) == RECEIVED + timedelta(hours=8)
    assert policy.response_hours["low"] == 120
    with pytest.raises(InvalidInputError, match="severity 'urgent' is not one of low, medium"):
        complaints.response_deadline(RECEIVED, "urgent", policy)


def test_overdue_complaint_escalates_once_to_the_owners_manager(db):
    users = team(db)
    c1 = customer(db, "c1", users["ann"])
    late = complaints.log_complaint(db, c1, severity="critical", received_at=RECEIVED)
    on_time = complaints.log_complaint(db, c1, severity="low", received_at=RECEIVED)
    answered = complaints.log_complaint(db, c1, severity="critical", received_at=RECEIVED)
    complaints.respond(db, answered, version=1, now=RECEIVED + timedelta(hours=1))
    at = RECEIVED + timedelta(hours=5)
    escalated = complaints.escalate_overdue(db, now=at)
    assert [c.id for c in escalated] == [late.id]
    assert late.escalated_to_id == users["mia"].id and late.escalated_at == at
    assert on_time.escalated_at is None
    task = db.scalar(select(Task).where(Task.source_key == f"complaint-escalation:{late.id}"))
    assert task.owner_id == users["mia"].id and task.due_date == at.date()
    assert complaints.escalate_overdue(db, now=at + timedelta(hours=1)) == []
    assert [c.id for c in complaints.open_escalations(db, users["mia"])] == [late.id]


def test_complaint_of_a_rep_without_manager_escalates_to_an_admin(db):
    users = team(db)
    users["ann"].manager_id = None
    late = complaints.log_complaint(db, customer(db, "c1", users["ann"]), severity="high",
                                    received_at=RECEIVED)
    complaints.escalate_overdue(db, now=RECEIVED + timedelta(days=2))
    assert late.escalated_to_id == users["admin"].id


def test_resolution_records_compensation_and_sends_a_follow_up_survey(db):
    users = team(db)
    complaint = complaints.log_complaint(db, customer(db, "c1", users["ann"]),
                                         severity="high", reason="quality",
                                         received_at=RECEIVED)
    done_at = RECEIVED + timedelta(hours=3)
    complaints.resolve(db, complaint, version=1, resolution="replaced the item, apologised",
                       compensation=50.0, compensation_note="voucher", now=done_at)
    assert (complaint.status, complaint.compensation, complaint.resolved_at) == (
        "resolved", 50.0, done_at)
    assert complaint.responded_at == done_at
    survey = db.scalar(select(Survey).where(Survey.complaint_id == complaint.id))
    assert survey.kind == "complaint_follow_up" and survey.customer_id == "c1"
    [follow_up] = complaints.follow_up_tasks(db, complaint)
    assert follow_up.owner_id == users["ann"].id
    assert follow_up.due_date == (done_at + timedelta(days=7)).date()
    with pytest.raises(InvalidInputError, match="already resolved"):
        complaints.resolve(db, complaint, version=complaint.version, resolution="again")


def test_negative_compensation_is_refused(db):
    users = team(db)
    complaint = complaints.log_complaint(db, customer(db, "c1", users["ann"]))
    with pytest.raises(OutOfRangeError, match="compensation: -5 is outside 0 to"):
        complaints.resolve(db, complaint, version=1, resolution="x", compensation=-5)
    for number in (float("inf"), float("nan")):  # JSON's 1e400, a form's "inf"
        with pytest.raises(OutOfRangeError, match="is not a finite number"):
            complaints.resolve(db, complaint, version=1, resolution="x", compensation=number)
    assert complaint.status == "open"


def test_complaint_edits_use_optimistic_locking_and_move_the_deadline(db):
    users = team(db)
    complaint = complaints.log_complaint(db, customer(db, "c1", users["ann"]), severity="low",
                                         received_at=RECEIVED)
    complaints.update_complaint(db, complaint, version=1, severity="critical")
    assert complaint.response_due_at == RECEIVED + timedelta(hours=4)
    assert complaint.version == 2
    with pytest.raises(ConflictError, match="your version 1, now 2"):
        complaints.update_complaint(db, complaint, version=1, reason="price")
    with pytest.raises(InvalidInputError, match="cannot change status"):
        complaints.update_complaint(db, complaint, version=2, status="closed")
