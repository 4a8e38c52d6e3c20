"""Migrations, the audit log and optimistic locking on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from churnguard.workflow import make_engine, migrate
from churnguard.workflow.db import writing
from churnguard.workflow.errors import ConflictError, InvalidInputError
from churnguard.workflow.models import AuditEntry, Base, Task
from churnguard.workflow.services import tasks
from tests.workflow.builders import customer, team


def test_migration_creates_every_model_table_and_is_rerunnable(store_url):
    migrate(store_url)  # already at head: a no-op
    engine = make_engine(store_url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {t.name for t in Base.metadata.sorted_tables} <= names
    assert "alembic_version" in names


def test_every_change_is_audited_with_actor_and_before_after(db):
    users = team(db)
    db.info["actor_id"] = users["mia"].id
    c1 = customer(db, "c1", users["ann"])
    task = tasks.create_task(db, c1, title="Call", due_date=None)
    tasks.update_task(db, task, version=1, status="done", outcome="reached")
    db.delete(task)
    db.flush()
    entries = db.scalars(select(AuditEntry).where(AuditEntry.entity == "tasks")
                         .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["insert", "update", "delete"]
    assert all(e.actor_id == users["mia"].id for e in entries)
    update = entries[1]
    assert update.before["status"] == "open" and update.after["status"] == "done"
    assert entries[2].before["outcome"] == "reached" and entries[2].after is None


def test_password_hashes_never_reach_the_audit_log(db):
    team(db)
    db.flush()
    users = db.scalars(select(AuditEntry).where(AuditEntry.entity == "users")).all()
    assert len(users) == 6
    assert all(e.after["password_hash"] == "***" for e in users)


def test_audit_log_is_append_only_in_the_orm_and_in_the_database(db):
    team(db)
    db.commit()
    entry = db.scalars(select(AuditEntry)).first()
    entry.action = "forged"
    with pytest.raises(InvalidInputError, match="append-only"):
        db.flush()
    db.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(text("UPDATE audit_log SET action = 'forged'"))
    db.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(text("DELETE FROM audit_log"))
    db.rollback()


def test_two_editors_of_one_task_cannot_silently_overwrite(store):
    with store() as setup:
        users = team(setup)
        task = tasks.create_task(setup, customer(setup, "c1", users["ann"]), title="Call")
        setup.commit()
        task_id = task.id
    # both open the task (two page loads), each sees version 1
    with store() as first_read, store() as second_read:
        seen_first = first_read.get(Task, task_id).version
        seen_second = second_read.get(Task, task_id).version
    assert seen_first == seen_second == 1
    # the first saves
    with store() as first:
        writing(first)
        tasks.update_task(first, first.get(Task, task_id), version=seen_first,
                          outcome="left a message")
        first.commit()
    # the second saves what they saw: refused, nothing overwritten
    with store() as second:
        writing(second)
        with pytest.raises(ConflictError, match=r"your version 1, now 2"):
            tasks.update_task(second, second.get(Task, task_id), version=seen_second,
                              outcome="customer saved")
        second.rollback()
        assert second.get(Task, task_id).outcome == "left a message"


def test_the_version_column_also_stops_a_stale_write_without_the_check(store):
    with store() as setup:
        users = team(setup)
        task = tasks.create_task(setup, customer(setup, "c1", users["ann"]), title="Call")
        setup.commit()
        task_id = task.id
    with store() as session:
        writing(session)
        stale = session.get(Task, task_id)
        session.execute(text("UPDATE tasks SET version = version + 1 WHERE id = :i"),
                        {"i": task_id})
        stale.outcome = "overwrite"
        with pytest.raises(StaleDataError):
            session.flush()
        session.rollback()
