"""``churnguard sync``: staff, customers, scores and tiers in; tasks by playbook; results out.
Idempotent."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import func, select

from churnguard import Workspace
from churnguard.errors import ConfigError
from churnguard.workflow.models import AuditEntry, Complaint, Customer, RiskCase, Task, User
from churnguard.workflow.services import archive, complaints, handover
from churnguard.workflow.services.playbooks import parse_playbooks, run_playbooks
from churnguard.workflow.services.sync import sync

AS_OF = date(2024, 6, 1)

PLAYBOOKS = """
[playbooks.core_high_risk]
tier = "core"
p_churn_min = 0.5
task = "call"
due_days = 2
title = "Call core customer {name}"

[playbooks.watch]
risk_band = ["medium"]
task = "email"
due_days = 10
"""


def _scores(as_of: date, p: list[float], bands: list[str]) -> pa.Table:
    return pa.table({
        "customer_id": ["c1", "c2", "c3"], "as_of": pa.array([as_of] * 3, pa.date32()),
        "p_churn": p, "risk_band": bands, "health_score": [20.0, 80.0, 45.0],
        "reasons": ["fewer orders;late payment", None, "complaints"],
        "rules_fired": [None, None, None], "clv": [1000.0, 50.0, 300.0],
        "profit_at_risk": [800.0, 10.0, 165.0], "owner_id": ["s1", "s2", "s1"]})


@pytest.fixture
def ws(tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    (ws.folder / "churnguard.toml").write_text(
        (ws.folder / "churnguard.toml").read_text() + PLAYBOOKS, encoding="utf-8")
    ws.close()
    ws = Workspace.open(tmp_path / "ws")
    ws.load("staff", pd.DataFrame({"staff_id": ["s1", "s2", "m1"], "name": ["Ann", "Bo", "Mia"],
                                   "manager_id": ["m1", "m1", None]}))
    ws.load("customers", pd.DataFrame({
        "customer_id": ["c1", "c2", "c3"], "name": ["Acme", "Bolt", "Crux"],
        "segment": ["smb", "smb", "ent"], "owner_id": ["s1", "s2", "s1"],
        "birthday": ["1990-06-10", None, None]}))
    ws.warehouse.replace("risk_scores", _scores(AS_OF, [0.8, 0.2, 0.55],
                                                ["high", "low", "medium"]))
    ws.warehouse.replace("value_tiers", pa.table({"customer_id": ["c1", "c2", "c3"],
                                                  "tier": ["core", "low", "growth"]}))
    yield ws
    ws.close()


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_first_sync_brings_in_staff_customers_scores_and_creates_playbook_tasks(ws, store):
    with store() as db:
        result = sync(ws, db, as_of=AS_OF)
        db.commit()
        users = {u.username: u for u in db.scalars(select(User))}
        assert users["m1"].role == "manager" and users["s1"].role == "rep"
        assert users["s1"].manager_id == users["m1"].id and users["s1"].password_hash is None
        c1 = db.get(Customer, "c1")
        assert (c1.owner_id, c1.p_churn, c1.risk_band, c1.tier, c1.is_core) == (
            users["s1"].id, 0.8, "high", "core", True)
        assert c1.reasons == ["fewer orders", "late payment"]
        assert c1.scored_as_of == AS_OF
        got = db.execute(select(Task.customer_id, Task.kind, Task.due_date, Task.title,
                                Task.owner_id).order_by(Task.customer_id)).all()
    assert got == [("c1", "call", date(2024, 6, 3), "Call core customer Acme", users["s1"].id),
                   ("c3", "email", date(2024, 6, 11), "Contact Crux", users["s1"].id)]
    assert result.counts["cases_opened"] == 2  # p_churn >= 0.5: c1 and c3
    assert result.counts["tasks_created"] == 2
    with store() as db:
        linked = db.execute(select(Task.customer_id, RiskCase.customer_id).join(
            RiskCase, RiskCase.id == Task.risk_case_id).order_by(Task.customer_id)).all()
    assert linked == [("c1", "c1"), ("c3", "c3")]  # each task points at its customer's case


def test_second_sync_changes_nothing(ws, store):
    with store() as db:
        sync(ws, db, as_of=AS_OF)
        db.commit()
        before = {m.__name__: _count(db, m) for m in (Task, RiskCase, AuditEntry, User, Customer)}
        pushed_before = ws.to_pandas("customer_owners")
        again = sync(ws, db, as_of=AS_OF)
        db.commit()
        after = {m.__name__: _count(db, m) for m in (Task, RiskCase, AuditEntry, User, Customer)}
    assert after == before
    assert {k: v for k, v in again.counts.items() if k != "staff" and v} == {}
    pd.testing.assert_frame_equal(ws.to_pandas("customer_owners"), pushed_before)


def test_new_scores_make_tasks_only_where_none_is_open(ws, store):
    with store() as db:
        sync(ws, db, as_of=AS_OF)
        ws.warehouse.replace("risk_scores", _scores(date(2024, 6, 8), [0.9, 0.6, 0.3],
                                                    ["high", "medium", "low"]))
        result = sync(ws, db, as_of=date(2024, 6, 8))
        db.commit()
        keys = db.scalars(select(Task.source_key).order_by(Task.source_key)).all()
    # c1 still has its open call; c2 is newly medium → an email; c3 fell to low
    assert result.counts["tasks_created"] == 1
    assert keys == ["playbook:core_high_risk:c1:2024-06-01", "playbook:watch:c2:2024-06-08",
                    "playbook:watch:c3:2024-06-01"]


def test_app_reassignment_sticks_until_the_warehouse_changes_the_owner(ws, store):
    with store() as db:
        sync(ws, db, as_of=AS_OF)
        s1, s2 = (db.scalar(select(User).where(User.username == n)) for n in ("s1", "s2"))
        handover.reassign(db, ["c1"], s2, now=datetime(2024, 6, 1, 9))
        sync(ws, db, as_of=AS_OF)
        assert db.get(Customer, "c1").owner_id == s2.id
        customers = ws.to_pandas("customers")
        customers.loc[customers.customer_id == "c1", "owner_id"] = "m1"
        ws.load("customers", customers)
        result = sync(ws, db, as_of=AS_OF)
        m1 = db.scalar(select(User).where(User.username == "m1"))
        assert db.get(Customer, "c1").owner_id == m1.id
        assert result.counts["owners_changed"] == 1
        audit = db.scalars(select(AuditEntry).where(AuditEntry.entity == "customers",
                                                    AuditEntry.action == "update")
                            .order_by(AuditEntry.id)).all()
        assert audit[-1].before["owner_id"] == s2.id and audit[-1].after["owner_id"] == m1.id
        db.rollback()


def test_leaving_staff_flags_customers_and_pushes_the_flag(ws, store):
    staff = ws.to_pandas("staff")
    staff.loc[staff.staff_id == "s1", "left_date"] = pd.Timestamp("2024-05-20")
    ws.load("staff", staff)
    with store() as db:
        result = sync(ws, db, as_of=AS_OF)
        db.commit()
    assert result.counts["customers_flagged"] == 2
    owners = ws.to_pandas("customer_owners").set_index("customer_id")
    assert owners["handover_flag"].to_dict() == {"c1": True, "c2": False, "c3": True}
    assert owners.loc["c1", "owner_staff_id"] == "s1"


def test_complaints_archive_and_outcomes_are_pushed_back(ws, store):
    with store() as db:
        sync(ws, db, as_of=AS_OF)
        c2 = db.get(Customer, "c2")
        complaints.log_complaint(db, c2, severity="high", reason="quality",
                                 received_at=datetime(2024, 5, 30, 10))
        archive.archive_customer(db, db.get(Customer, "c3"), churn_date=date(2024, 5, 1),
                                 reason="price")
        sync(ws, db, as_of=AS_OF)
        db.commit()
        assert db.scalar(select(Complaint.escalated_at)) is not None  # overdue by the sync time
    pushed = ws.to_pandas("app_complaints")
    assert pushed[["customer_id", "severity", "reason", "status"]].values.tolist() == [
        ["c2", "high", "quality", "open"]]
    assert pushed["escalated_at"].notna().all()
    archive_table = ws.to_pandas("churn_archive")
    assert archive_table[["customer_id", "reason"]].values.tolist() == [["c3", "price"]]
    assert archive_table["churn_date"].tolist() == [pd.Timestamp("2024-05-01")]
    cases = ws.to_pandas("risk_case_outcomes")
    assert sorted(cases["customer_id"]) == ["c1", "c3"]
    assert set(ws.to_pandas("campaign_outcomes").columns) >= {"campaign_id", "outcome", "group"}


def test_unresolved_warehouse_complaints_are_imported_once(ws, store):
    ws.load("interactions", pd.DataFrame({
        "interaction_id": ["i1", "i2", "i3"], "customer_id": ["c1", "c2", "c3"],
        "ts": ["2024-05-25 10:00", "2024-05-28 10:00", "2024-01-02 10:00"],
        "kind": ["complaint", "complaint", "complaint"], "text": ["late", "broken", "old"],
        "resolved_at": [None, "2024-05-29 10:00", None], "reason": ["delivery", None, None]}))
    with store() as db:
        first = sync(ws, db, as_of=AS_OF)
        second = sync(ws, db, as_of=AS_OF)
        rows = db.execute(select(Complaint.customer_id, Complaint.reason,
                                 Complaint.source_key)).all()
        db.rollback()
    assert first.counts["complaints_imported"] == 1 and second.counts["complaints_imported"] == 0
    assert rows == [("c1", "delivery", "interaction:i1")]


def test_bad_playbooks_say_what_to_fix():
    with pytest.raises(ConfigError, match=r"\[playbooks.x\] has unknown key\(s\) colour"):
        parse_playbooks({"x": {"colour": "red"}})
    with pytest.raises(ConfigError, match="task 'fax' is not one of"):
        parse_playbooks({"x": {"task": "fax"}})


def test_first_matching_playbook_wins_and_open_tasks_block_new_ones(db):
    from tests.workflow.builders import customer, team

    users = team(db)
    kw = {"risk_band": "high", "scored_as_of": AS_OF}
    customer(db, "a", users["ann"], is_core=True, p_churn=0.9, **kw)
    customer(db, "b", users["ann"], is_core=False, p_churn=0.9, **kw)
    rules = parse_playbooks({})  # the defaults: core_high_risk (2 days), then high_risk (7)
    assert run_playbooks(db, rules, today=AS_OF) == 2
    got = db.execute(select(Task.customer_id, Task.signal, Task.due_date)
                     .order_by(Task.customer_id)).all()
    assert got == [("a", "playbook:core_high_risk", date(2024, 6, 3)),
                   ("b", "playbook:high_risk", date(2024, 6, 8))]
    db.get(Customer, "a").scored_as_of = date(2024, 6, 2)  # new score, task still open
    assert run_playbooks(db, rules, today=date(2024, 6, 2)) == 0


def test_sync_carries_value_if_retained_and_lifecycle(ws, store):
    scores = _scores(AS_OF, [0.8, 0.2, 0.95], ["high", "low", "high"])
    scores = scores.append_column("value_if_retained", pa.array([1250.0, 62.5, 400.0]))
    scores = scores.append_column("lifecycle", pa.array(["active", "active", "lapsing"]))
    ws.warehouse.replace("risk_scores", scores)
    with store() as db:
        sync(ws, db, as_of=AS_OF)
        db.commit()
        got = {c.id: (c.value_if_retained, c.lifecycle, c.profit_at_risk)
               for c in db.scalars(select(Customer))}
    assert got == {"c1": (1250.0, "active", 800.0), "c2": (62.5, "active", 10.0),
                   "c3": (400.0, "lapsing", 165.0)}
    with store() as db:  # a second run changes nothing
        assert sync(ws, db, as_of=AS_OF).counts["scores_updated"] == 0


def test_scores_without_value_or_lifecycle_sync_as_active(ws, store):
    with store() as db:  # the fixture's scores have neither column (an older layout)
        sync(ws, db, as_of=AS_OF)
        db.commit()
        got = {c.id: (c.value_if_retained, c.lifecycle) for c in db.scalars(select(Customer))}
    assert got == {"c1": (None, "active"), "c2": (None, "active"), "c3": (None, "active")}
