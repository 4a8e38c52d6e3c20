"""The workflow flows over HTTP: complaints, cases, campaigns, hand-over, audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.web.api_client import fresh_world_app


@pytest.fixture
def world_app(tmp_path):
    return fresh_world_app(tmp_path)


def test_complaint_from_log_to_resolution(world_app):
    owner = world_app.client("owner")
    created = owner.post("/api/complaints", json={"customer_id": "c_ann", "severity": "critical",
                                                  "reason": "quality",
                                                  "description": "broken on arrival"})
    assert created.status_code == 201
    body = created.json()
    received = datetime.fromisoformat(body["received_at"])
    assert datetime.fromisoformat(body["response_due_at"]) - received == timedelta(hours=4)
    cid = body["id"]
    responded = owner.post(f"/api/complaints/{cid}/respond", json={"version": 1}).json()
    assert responded["status"] == "responded" and responded["version"] == 2
    stale = owner.post(f"/api/complaints/{cid}/resolve", json={"version": 1, "resolution": "x"})
    assert stale.status_code == 409
    resolved = owner.post(f"/api/complaints/{cid}/resolve", json={
        "version": 2, "resolution": "replaced", "compensation": 30,
        "compensation_note": "voucher"}).json()
    assert (resolved["status"], resolved["compensation"]) == ("resolved", 30.0)
    follow_ups = owner.get("/api/tasks", params={"customer_id": "c_ann"}).json()["items"]
    assert any(t["kind"] == "complaint_follow_up" for t in follow_ups)
    # the critical one was answered in time; the world's complaint is due in 48 hours
    assert owner.get("/api/complaints", params={"overdue": True}).json()["total"] == 0
    assert owner.get("/api/complaints", params={"status": "open"}).json()["total"] == 1


def test_case_stages_and_save_rate_summary(world_app):
    owner = world_app.client("owner")
    case_id = world_app.world.ids["case"]
    owner.post(f"/api/cases/{case_id}/plans", json={"summary": "call, discount",
                                                    "offers": [["10% off", 50]]})
    detail = owner.get(f"/api/cases/{case_id}").json()
    assert detail["stage"] == "plan_in_place"
    assert detail["plans"][0]["offers"][0] == {"id": detail["plans"][0]["offers"][0]["id"],
                                              "description": "10% off", "cost": 50.0,
                                              "accepted": None}
    back = owner.post(f"/api/cases/{case_id}/stage", json={"stage": "at_risk"})
    assert back.status_code == 422 and "cannot move to 'at_risk'" in back.json()["detail"]
    owner.post(f"/api/cases/{case_id}/stage", json={"stage": "recovered"})
    summary = world_app.client("manager").get("/api/cases/summary").json()
    assert summary == [{"owner": "ann", "cases": 1, "closed": 1, "recovered": 1, "lost": 0,
                        "save_rate": 1.0,
                        "avg_days_to_resolve": summary[0]["avg_days_to_resolve"]}]
    assert owner.get("/api/cases").json()["total"] == 0  # closed cases leave the open list


def test_campaign_with_holdout_over_http(world_app):
    manager = world_app.client("manager")
    made = manager.post("/api/campaigns", json={"name": "win back valuable",
                                                "archive_valuable": True,
                                                "customer_ids": ["c_bo"],
                                                "holdout_share": 0.5, "seed": 3})
    assert made.status_code == 201
    effect = made.json()
    assert effect["targeted"] + effect["holdout"] == 2  # a_ann (archive) + c_bo
    campaign_id = effect["campaign_id"]
    contacted = manager.post(f"/api/campaigns/{campaign_id}/contact").json()
    assert contacted["contacted"] + contacted["skipped_contact_cap"] == effect["targeted"]
    after = manager.post(f"/api/campaigns/{campaign_id}/outcomes", json={
        "outcomes": {"a_ann": "success", "c_bo": "failure"}}).json()
    assert after["pending"] == 0 and after["uplift"] in (-1.0, 1.0)
    denied = world_app.client("other_manager").post("/api/campaigns", json={
        "name": "poach", "customer_ids": ["c_bo"]})
    assert denied.status_code == 403


def test_leaving_rep_hand_over_and_audit_trail(world_app):
    manager = world_app.client("manager")
    ann, bo = world_app.world.ids["user_ann"], world_app.world.ids["user_bo"]
    listed = manager.post(f"/api/users/{ann}/leave", json={"left_on": "2030-02-01"}).json()
    assert sorted(c["customer_id"] for c in listed) == ["a_ann", "c_ann"]
    moved = manager.post(f"/api/users/{ann}/handover/bulk", json={"to_user_ids": [bo]})
    assert moved.json() == {"moved": 2}
    peer = world_app.client("peer")
    assert sorted(c["customer_id"] for c in peer.get("/api/customers").json()["items"]) == [
        "a_ann", "c_ann", "c_bo"]
    intro = [t for t in peer.get("/api/tasks").json()["items"] if t["kind"] == "introduction"]
    assert len(intro) == 2
    audit = world_app.client("admin").get("/api/audit", params={
        "entity": "customers", "entity_id": "c_ann"}).json()["items"]
    change = audit[0]
    assert change["actor_id"] == world_app.world.ids["user_mia"]
    assert change["before"]["owner_id"] == ann and change["after"]["owner_id"] == bo


def test_the_running_server_escalates_overdue_complaints(world_app):
    from datetime import timedelta

    from fastapi.testclient import TestClient
    from sqlalchemy import update

    from churnguard.web.app import create_app
    from churnguard.workflow.models import Complaint, utcnow
    from tests.web.world import web_settings

    with world_app.app.state.sessionmaker() as db:
        db.execute(update(Complaint).values(response_due_at=utcnow() - timedelta(hours=1)))
        db.commit()
    settings = web_settings()
    from dataclasses import replace

    app = create_app(database_url=f"sqlite:///{world_app.path}",
                     settings=replace(settings, escalation_minutes=60))
    with TestClient(app):  # the lifespan runs one escalation round at start-up
        pass
    with world_app.app.state.sessionmaker() as db:
        complaint = db.get(Complaint, world_app.world.ids["complaint"])
        assert complaint.escalated_to_id == world_app.world.ids["user_mia"]


def test_sync_runs_inside_the_server_for_admins(tmp_path):
    import pandas as pd
    from fastapi.testclient import TestClient

    from churnguard.web.app import create_app
    from churnguard.workflow.services import auth
    from churnguard.workflow.store import open_store, session_scope
    from tests.factories import make_workspace
    from tests.web.world import web_settings

    ws = make_workspace(tmp_path / "shop", customers=pd.DataFrame({"customer_id": ["x1"]}))
    with session_scope(open_store(ws)) as db:
        auth.create_user(db, "boss", "pw-boss", role="admin")
    client = TestClient(create_app(ws, settings=web_settings()))
    client.post("/api/auth/login", json={"username": "boss", "password": "pw-boss"})
    body = client.post("/api/sync", params={"as_of": "2024-03-01"}).json()
    assert body["as_of"] == "2024-03-01" and body["counts"]["customers_created"] == 1
    assert "customer_owners" in body["pushed"]
    ws.close()
