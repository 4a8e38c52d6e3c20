"""Issue 13: no value anyone sends breaks a page or a record, and bad rows already stored do
not break pages either. Non-finite numbers and out-of-range values answer 422 (or 404), never
500 and never a 200 that stores them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from churnguard.workflow.models import AuditEntry, Complaint, PointsEntry, Task
from tests.web.api_client import fresh_world_app

HUGE = "1e400"  # valid JSON; Python reads it as infinity


@pytest.fixture
def world_app(tmp_path):
    return fresh_world_app(tmp_path)


def _raw_json(client, method, url, body_text):
    return client.request(method, url, content=body_text,
                          headers={"content-type": "application/json"})


@pytest.mark.parametrize("number", [HUGE, "-1e400", "NaN", "Infinity"])
def test_non_finite_compensation_is_refused_and_nothing_is_stored(world_app, number):
    owner = world_app.client("owner")
    cid = world_app.world.ids["complaint"]
    response = _raw_json(owner, "POST", f"/api/complaints/{cid}/resolve",
                         f'{{"version": 1, "resolution": "refund", "compensation": {number}}}')
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid"
    assert "compensation" in response.json()["detail"]
    with world_app.app.state.sessionmaker() as db:
        assert db.get(Complaint, cid).status == "open"


@pytest.mark.parametrize(("url", "body"), [
    ("/api/cases/{case}/plans", '{"summary": "s", "offers": [["gift", 1e400]]}'),
    ("/api/cases/{case}/plans", '{"summary": "s", "offers": [["gift", NaN]]}'),
    ("/api/surveys/{survey}/answers", '[{"question": "q", "score": NaN}]'),
    ("/api/campaigns", '{"name": "n", "customer_ids": ["c_ann"], "holdout_share": NaN}'),
])
def test_every_api_number_is_finite(world_app, url, body):
    actor = "manager" if url == "/api/campaigns" else "owner"
    ids = world_app.world.ids
    url = url.format(case=ids["case"], survey=ids["survey"])
    response = _raw_json(world_app.client(actor), "POST", url, body)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(("path", "form"), [
    ("/customers/c_ann/plan", {"summary": "call", "offer": "gift", "cost": "inf"}),
    ("/customers/c_ann/plan", {"summary": "call", "offer": "gift", "cost": "nan"}),
    ("/complaints/{complaint}/resolve", {"resolution": "x", "compensation": "inf",
                                         "version": "1"}),
])
def test_forms_refuse_non_finite_numbers(world_app, path, form):
    client = world_app.client("owner")
    path = path.format(complaint=world_app.world.ids["complaint"])
    response = client.post(path, data={**form, "csrf_token": client.headers["x-csrf-token"]})
    assert response.status_code == 422, response.text[:300]
    with world_app.app.state.sessionmaker() as db:
        offers = db.scalars(select(AuditEntry).where(AuditEntry.entity == "offers")).all()
        assert offers == []


def test_customer_page_survives_malformed_audit_rows_of_other_records(world_app):
    """A row written before the fix (``Infinity`` is not JSON) and a truncated one: the
    customer page reads only its own entries and shows an unreadable one as such."""
    _insert_raw_audit(world_app, "complaints", "999999", '{"compensation": Infinity}')
    _insert_raw_audit(world_app, "tasks", str(world_app.world.ids["task"]), '{"title": "cut')
    owner = world_app.client("owner")
    for customer_id in ("c_ann", "a_ann"):
        page = owner.get(f"/customers/{customer_id}", headers={"accept": "text/html"})
        assert page.status_code == 200, page.text[-500:]
    page = owner.get("/customers/c_ann").text
    assert "(this entry cannot be read)" in page  # the truncated entry is the task's own
    assert "Infinity" not in page  # another customer's record: not read at all


def _insert_raw_audit(world_app, entity: str, entity_id: str, after_text: str) -> None:
    with world_app.app.state.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO audit_log (at, action, entity, entity_id, after) "
            "VALUES ('2030-01-01 00:00:00', 'update', ?, ?, ?)", (entity, entity_id, after_text))


def test_customer_trail_lists_changes_of_its_records(world_app):
    owner = world_app.client("owner")
    task = world_app.world.ids["task"]
    assert owner.patch(f"/api/tasks/{task}", json={"version": 1, "status": "done"}
                       ).status_code == 200
    from churnguard.workflow.services.history import customer_trail

    with world_app.app.state.sessionmaker() as db:
        trail = customer_trail(db, "c_ann")
        others = customer_trail(db, "c_bo")
    updates = [(e.entity, e.entity_id, e.after.get("status")) for e in trail
               if e.action == "update" and e.entity == "tasks"]
    assert updates == [("tasks", str(task), "done")]  # an update names no customer_id
    assert {e.entity for e in trail} >= {"customers", "tasks", "complaints", "risk_cases"}
    assert all(e.entity_id != str(task) or e.entity != "tasks" for e in others)


@pytest.mark.parametrize(("method", "url", "body"), [
    ("POST", "/api/customers/c_ann/points", {"delta": 2**62, "reason": "x"}),
    ("POST", "/api/customers/c_ann/points", {"delta": 2**63, "reason": "x"}),
    ("POST", "/api/customers/c_ann/points", {"delta": -(2**63) - 1, "reason": "x"}),
    ("GET", "/api/tasks?page=4611686018427387904", None),
    ("GET", "/api/tasks?page_size=4611686018427387904", None),
    ("GET", "/api/tasks/9223372036854775808", None),
    ("GET", "/api/tasks/99999999999999999999", None),
    ("GET", "/api/care?days=1000000000", None),
    ("GET", "/api/care?start=9999-12-31", None),
    ("GET", "/api/kpis?end=0001-01-01", None),
    ("GET", "/api/kpis?end=9999-12-31", None),
    ("POST", "/api/campaigns", {"name": "n", "customer_ids": ["c_ann"], "seed": -1}),
    ("POST", "/api/campaigns", {"name": "n", "customer_ids": ["c_ann"], "seed": 2**63}),
    ("PATCH", "/api/tasks/{task}", {"version": 1, "title": None}),
    ("PATCH", "/api/tasks/{task}", {"version": 1, "status": None}),
    ("GET", "/api/audit?actor_id=9223372036854775808", None),
    ("GET", "/api/customers?owner_id=9223372036854775808", None),
    ("POST", "/api/users/{user}/leave", {"left_on": "0001-01-01"}),
])
def test_ordinary_bad_values_answer_422(world_app, method, url, body):
    actor = "admin"
    url = url.format(task=world_app.world.ids["task"], user=world_app.world.ids["user_ann"])
    response = world_app.client(actor).request(method, url, json=body)
    assert response.status_code == 422, response.text[:300]
    assert set(response.json()) == {"detail", "code"}


def test_points_stored_before_the_limit_do_not_break_the_customer(world_app):
    with world_app.app.state.sessionmaker() as db:
        for _ in range(2):
            db.add(PointsEntry(customer_id="c_ann", delta=2**62, reason="old bug"))
        db.commit()
    owner = world_app.client("owner")
    assert owner.get("/api/customers/c_ann").json()["points_balance"] == 2**63
    assert owner.get("/customers/c_ann").status_code == 200


def test_task_patch_without_title_keeps_it(world_app):
    task = world_app.world.ids["task"]
    body = world_app.client("owner").patch(f"/api/tasks/{task}",
                                           json={"version": 1, "outcome": "reached"}).json()
    assert (body["title"], body["outcome"], body["version"]) == ("Call ANN", "reached", 2)
    with world_app.app.state.sessionmaker() as db:
        assert db.get(Task, task).title == "Call ANN"


def test_worklist_page_beyond_any_offset_is_refused(world_app):
    client = world_app.client("owner")
    client.headers["accept"] = "application/json"
    response = client.get("/my-customers", params={"page": 2**62})
    assert response.status_code == 422, response.text[:200]
    assert client.get("/my-customers", params={"page": 2}).status_code == 200


def test_admin_audit_list_survives_malformed_rows(world_app):
    _insert_raw_audit(world_app, "complaints", "999999", '{"compensation": Infinity}')
    _insert_raw_audit(world_app, "tasks", "999998", '{"title": "cut')
    response = world_app.client("admin").get("/api/audit", params={"page_size": 2})
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    assert [item["after"] for item in body["items"]] == ["(unreadable)",
                                                         {"compensation": "Infinity"}]
    assert body["total"] > 2
    one = world_app.client("admin").get("/api/audit", params={"entity_id": "999998"}).json()
    assert (one["total"], one["items"][0]["entity"]) == (1, "tasks")


def test_a_user_with_an_unknown_manager_is_refused(world_app):
    response = world_app.client("admin").post("/api/users", json={
        "username": "dan", "password": "pw-dan", "manager_id": 3363})
    assert response.status_code == 422, response.text[:200]
    assert "manager_id 3363 is not a user" in response.json()["detail"]


@pytest.mark.parametrize(("url", "body"), [
    ("/api/complaints", {"customer_id": "c_ann", "reason": "r" * 81}),
    ("/api/tasks", {"customer_id": "c_ann", "title": "t", "kind": "k" * 41}),
    ("/api/improvements", {"reason": "r" * 81, "description": "d"}),
    ("/api/tasks", {"customer_id": "c_ann", "title": "t" * 301}),
])
def test_text_longer_than_its_column_is_refused(world_app, url, body):
    """PostgreSQL would refuse the row with a 500; SQLite would store it: both get 422."""
    response = world_app.client("manager").post(url, json=body)
    assert response.status_code == 422, response.text[:200]


def test_nul_characters_are_refused_before_they_reach_the_database(world_app):
    """PostgreSQL cannot hold or compare text with NUL (a 500 there); every door says 422."""
    client = world_app.client("owner")
    token = client.headers["x-csrf-token"]
    answers = [client.get("/api/customers", params={"q": "a\x00b"}),
               client.get("/api/customers/c%00ann"),
               client.post("/api/tasks", json={"customer_id": "c_ann", "title": "a\x00b"}),
               client.post("/customers/c_ann/contact",
                           data={"kind": "call", "notes": "a\x00b", "csrf_token": token})]
    assert [a.status_code for a in answers] == [422] * 4
    assert "NUL" in answers[2].json()["detail"]
    assert client.get("/api/customers", params={"q": "ann"}).status_code == 200
