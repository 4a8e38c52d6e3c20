"""Hand-over when staff leave: flagged, listed, reassigned with introduction tasks."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from churnguard.workflow.errors import InvalidInputError, PermissionDeniedError
from churnguard.workflow.models import Customer, HandOver, Task
from churnguard.workflow.services import handover, tasks
from tests.workflow.builders import customer, team

NOW = datetime(2024, 7, 1, 9)


def test_leaving_flags_and_lists_customers_most_valuable_first(db):
    users = team(db)
    customer(db, "c1", users["ann"], profit_at_risk=100.0)
    customer(db, "c2", users["ann"], profit_at_risk=900.0)
    customer(db, "c3", users["bo"])
    listed = handover.mark_leaving(db, users["ann"], left_on=date(2024, 7, 31), by=users["mia"])
    assert [c.id for c in listed] == ["c2", "c1"]
    flags = dict(db.execute(select(Customer.id, Customer.handover_flag)).all())
    assert flags == {"c1": True, "c2": True, "c3": False}
    assert users["ann"].left_on == date(2024, 7, 31)


def test_only_their_manager_or_an_admin_may_mark_someone_leaving(db):
    users = team(db)
    with pytest.raises(PermissionDeniedError, match="max may not manage ann"):
        handover.mark_leaving(db, users["ann"], left_on=date(2024, 7, 31), by=users["max"])


def test_reassign_moves_open_tasks_and_creates_introduction_tasks(db):
    users = team(db)
    c1 = customer(db, "c1", users["ann"], name="Acme")
    open_task = tasks.create_task(db, c1, title="Call about renewal")
    done_task = tasks.create_task(db, c1, title="Old call")
    tasks.update_task(db, done_task, version=1, status="done")
    [record] = handover.reassign(db, ["c1"], users["bo"], by=users["mia"], now=NOW)
    db.refresh(open_task)
    db.refresh(done_task)
    assert c1.owner_id == users["bo"].id
    assert open_task.owner_id == users["bo"].id and done_task.owner_id == users["ann"].id
    intro = db.get(Task, record.intro_task_id)
    assert (intro.kind, intro.owner_id, intro.due_date) == ("introduction", users["bo"].id,
                                                            date(2024, 7, 4))
    assert "Acme" in intro.title
    assert (record.from_user_id, record.to_user_id, record.by_id) == (
        users["ann"].id, users["bo"].id, users["mia"].id)


def test_a_manager_cannot_move_customers_to_another_team(db):
    users = team(db)
    customer(db, "c1", users["ann"])
    with pytest.raises(PermissionDeniedError, match="mia may not move c1 from ann to cy"):
        handover.reassign(db, ["c1"], users["cy"], by=users["mia"], now=NOW)
    handover.reassign(db, ["c1"], users["cy"], by=users["admin"], now=NOW)


def test_cannot_hand_over_to_someone_who_is_leaving(db):
    users = team(db)
    customer(db, "c1", users["ann"])
    users["bo"].left_on = date(2024, 8, 1)
    with pytest.raises(InvalidInputError, match="bo is leaving or inactive"):
        handover.reassign(db, ["c1"], users["bo"], now=NOW)


@pytest.mark.parametrize(("rule", "expected"), [
    # c4 and c3 most valuable; bo already owns 2 customers, mia 0
    ("round_robin", {"c4": "bo", "c3": "mia", "c2": "bo", "c1": "mia"}),
    # least loaded: ties go to the older account (mia before bo)
    ("least_loaded", {"c4": "mia", "c3": "mia", "c2": "mia", "c1": "bo"}),
])
def test_bulk_reassign_by_rule(db, rule, expected):
    users = team(db)
    for i, value in enumerate([10.0, 20.0, 30.0, 40.0], start=1):
        customer(db, f"c{i}", users["ann"], profit_at_risk=value)
    customer(db, "b1", users["bo"])
    customer(db, "b2", users["bo"])
    records = handover.bulk_reassign(db, users["ann"], [users["bo"], users["mia"]], rule=rule,
                                     by=users["mia"], now=NOW)
    owners = {u.id: name for name, u in users.items()}
    got = {c.id: owners[c.owner_id] for c in db.scalars(select(Customer).where(
        Customer.id.in_(["c1", "c2", "c3", "c4"])))}
    assert got == expected
    assert len(records) == 4 and db.scalar(select(HandOver.reason)).endswith(f"({rule})")
    with pytest.raises(InvalidInputError, match="rule 'random' is not one of"):
        handover.bulk_reassign(db, users["ann"], [users["bo"]], rule="random")
