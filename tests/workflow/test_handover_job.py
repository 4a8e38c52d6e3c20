"""Hand-over as a background job: the whole book moved in batches with progress, most
valuable first, introduction tasks only for active customers, spread over days and outside the
contact-cap window, every move audited, and the leaver's login stopped on the leaving date."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest
from sqlalchemy import select

from churnguard.workflow.errors import AuthenticationError
from churnguard.workflow.jobs import start_job
from churnguard.workflow.models import AuditEntry, Contact, Customer, HandOver, Job, Task
from churnguard.workflow.services import auth, handover_job
from churnguard.workflow.services.handover import mark_leaving
from churnguard.workflow.services.handover_job import least_loaded_targets, run_handover
from tests.workflow.builders import customer, team

TODAY = date(2024, 6, 3)


def test_least_loaded_deals_each_customer_to_whoever_owns_fewest():
    # loads 2 and 0: the empty owner takes two first, then they alternate (ties: lower id)
    assert least_loaded_targets(5, np.array([2, 0]), np.array([7, 9])).tolist() == [9, 9, 7, 9, 7]


def test_the_job_moves_the_book_in_batches_with_spread_introductions(store, monkeypatch):
    monkeypatch.setattr(handover_job, "BATCH", 3)
    with store() as db:
        users = team(db)
        ann, bo = users["ann"], users["bo"]
        for i, (value, status) in enumerate(
            [
                (700, "active"),
                (600, "active"),
                (500, "churned"),
                (400, "active"),
                (300, "active"),
                (200, "churned"),
                (100, "active"),
            ],
            start=1,
        ):
            customer(db, f"k{i}", ann, value_if_retained=float(value), status=status)
        customer(db, "b0", bo)
        db.add(Task(customer_id="k1", owner_id=ann.id, title="Call k1", status="open"))
        db.add(
            Contact(
                customer_id="k4",
                channel="call",
                source="task",
                source_id=1,
                at=datetime(2024, 6, 1, 10),
            )
        )
        mark_leaving(db, ann, left_on=TODAY)
        db.commit()
        ids = {n: u.id for n, u in users.items()}
    job_id = start_job(
        store,
        "handover",
        lambda job: run_handover(
            store,
            job,
            ids["ann"],
            [ids["bo"], ids["cy"]],
            rule="least_loaded",
            by_id=ids["mia"],
            today=TODAY,
            per_day=2,
        ),
        background=False,
    )
    with store() as db:
        job = db.get(Job, job_id)
        assert (job.status, job.done, job.total, job.rows) == ("succeeded", 7, 7, 7)
        assert job.detail == {"moved": 7, "introductions": 5, "skipped_not_active": 2}
        owners = dict(db.execute(select(Customer.id, Customer.owner_id)).all())
        # bo owns one already: cy gets the most valuable, then they alternate
        assert [owners[f"k{i}"] for i in range(1, 8)] == [
            ids["cy"],
            ids["bo"],
            ids["cy"],
            ids["bo"],
            ids["cy"],
            ids["bo"],
            ids["cy"],
        ]
        intros = dict(
            db.execute(
                select(Task.customer_id, Task.due_date).where(Task.kind == "introduction")
            ).all()
        )
        assert intros == {
            "k1": date(2024, 6, 4),
            "k5": date(2024, 6, 4),
            "k7": date(2024, 6, 5),
            "k2": date(2024, 6, 4),
            # contacted 2024-06-01: not before its 14-day window ends
            "k4": date(2024, 6, 15),
        }
        assert db.scalar(select(Task.owner_id).where(Task.title == "Call k1")) == ids["cy"]
        moves = db.scalars(select(HandOver).order_by(HandOver.customer_id)).all()
        assert len(moves) == 7 and {m.by_id for m in moves} == {ids["mia"]}
        assert {m.customer_id for m in moves if m.intro_task_id is None} == {"k3", "k6"}
        logged = db.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "customers", AuditEntry.action == "update"
            )
        ).all()
        assert {e.entity_id for e in logged if e.after == {"owner_id": ids["cy"]}} == {
            "k1",
            "k3",
            "k5",
            "k7",
        }
        assert {e.actor_id for e in logged if e.entity_id.startswith("k")} == {ids["mia"]}
        # the leaver may log in the day before leaving, not on the day
        auth.login(db, "ann", "pw-ann", now=datetime(2024, 6, 2, 9))
        with pytest.raises(AuthenticationError):
            auth.login(db, "ann", "pw-ann", now=datetime(2024, 6, 3, 9))


def test_a_leaving_new_owner_is_refused(store):
    with store() as db:
        users = team(db)
        customer(db, "k1", users["ann"])
        users["bo"].left_on = TODAY
        db.commit()
        ids = {n: u.id for n, u in users.items()}
    job_id = start_job(
        store,
        "handover",
        lambda job: run_handover(store, job, ids["ann"], [ids["bo"]], today=TODAY),
        background=False,
    )
    with store() as db:
        job = db.get(Job, job_id)
        assert job.status == "failed" and "bo is leaving or inactive" in job.message
        assert db.scalar(select(Customer.owner_id)) == ids["ann"]


def test_cli_user_leave_hands_the_book_over_as_a_job(tmp_path):
    from typer.testing import CliRunner

    from churnguard import Workspace
    from churnguard.cli import app
    from churnguard.workflow.store import open_store, session_scope

    ws = Workspace.create(tmp_path / "shop")
    ws.close()
    factory = open_store(ws)
    with session_scope(factory) as db:
        users = team(db)
        customer(db, "k1", users["ann"], status="active")
        customer(db, "k2", users["ann"], status="churned")
    result = CliRunner().invoke(
        app,
        ["user", "leave", "ann", "--workspace", str(ws.folder), "--on", "2024-06-03", "--to", "bo"],
    )
    assert result.exit_code == 0, result.output
    assert "handed over 2 customers to bo (1 introduction tasks" in result.output
    with factory() as db:
        assert db.scalar(select(Job.status).where(Job.kind == "handover")) == "succeeded"
        assert set(db.scalars(select(Customer.owner_id))) == {users["bo"].id}
