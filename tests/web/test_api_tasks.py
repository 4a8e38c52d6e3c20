"""``/api/tasks``: scoped lists, create, and optimistic locking over HTTP."""

from __future__ import annotations

import pytest

from tests.web.api_client import fresh_world_app


@pytest.fixture
def world_app(tmp_path):
    return fresh_world_app(tmp_path)


def test_reps_see_their_tasks_managers_their_teams(world_app):
    owner = world_app.client("owner")
    created = owner.post("/api/tasks", json={"customer_id": "c_ann", "title": "Visit",
                                             "kind": "visit", "due_date": "2030-01-10"})
    assert created.status_code == 201
    assert created.json()["owner_id"] == world_app.world.ids["user_ann"]
    titles = [t["title"] for t in owner.get("/api/tasks").json()["items"]]
    assert titles == ["Visit", "Call ANN"]  # dated first, then undated
    assert world_app.client("peer").get("/api/tasks").json()["total"] == 0
    assert world_app.client("manager").get("/api/tasks").json()["total"] == 2
    assert world_app.client("other_manager").get("/api/tasks").json()["total"] == 0
    mine = world_app.client("manager").get("/api/tasks", params={"mine": True}).json()
    assert mine["total"] == 0


def test_two_people_saving_the_same_task_version_conflict(world_app):
    task_id = world_app.world.ids["task"]
    owner, manager = world_app.client("owner"), world_app.client("manager")
    version = owner.get(f"/api/tasks/{task_id}").json()["version"]
    first = owner.patch(f"/api/tasks/{task_id}", json={"version": version, "status": "done",
                                                      "outcome": "reached, happy"})
    assert first.status_code == 200
    assert first.json()["version"] == version + 1 and first.json()["completed_at"]
    second = manager.patch(f"/api/tasks/{task_id}", json={"version": version,
                                                         "outcome": "no answer"})
    assert second.status_code == 409
    assert second.json() == {"detail": f"this record was changed by someone else (your "
                                       f"version {version}, now {version + 1}). Reload it and "
                                       f"apply your change again.", "code": "conflict"}
    assert owner.get(f"/api/tasks/{task_id}").json()["outcome"] == "reached, happy"


def test_status_filter_and_bad_values(world_app):
    owner = world_app.client("owner")
    task_id = world_app.world.ids["task"]
    bad = owner.patch(f"/api/tasks/{task_id}", json={"version": 1, "status": "finished"})
    assert bad.status_code == 422 and "not one of open, done, cancelled" in bad.json()["detail"]
    owner.patch(f"/api/tasks/{task_id}", json={"version": 1, "status": "done"})
    assert owner.get("/api/tasks").json()["total"] == 0
    assert owner.get("/api/tasks", params={"status": "all"}).json()["total"] == 1
    wrong = owner.post("/api/tasks", json={"customer_id": "c_bo", "title": "steal"})
    assert wrong.status_code == 403
