"""``GET /api/customers`` (scoped, paginated) and ``GET /api/customers/{customer_id}``."""

from __future__ import annotations

import pytest

from churnguard.workflow.models import Customer
from tests.web.api_client import fresh_world_app


@pytest.fixture
def world_app(tmp_path):
    return fresh_world_app(tmp_path)


def _ids(response) -> list[str]:
    return [c["customer_id"] for c in response.json()["items"]]


@pytest.mark.parametrize(("actor", "visible"), [
    ("owner", ["a_ann", "c_ann"]), ("peer", ["c_bo"]),
    ("manager", ["a_ann", "c_ann", "c_bo"]), ("other_manager", ["c_cy"]),
    ("admin", ["a_ann", "c_ann", "c_bo", "c_cy"])])
def test_each_role_lists_exactly_the_customers_it_may_see(world_app, actor, visible):
    response = world_app.client(actor).get("/api/customers", params={"sort": "id"})
    assert response.status_code == 200
    assert _ids(response) == visible
    assert response.json()["total"] == len(visible)


def test_pagination_and_sorting(world_app):
    with world_app.app.state.sessionmaker() as db:
        owner = world_app.world.ids["user_ann"]
        # profit at risk ties in pairs (p00 = p01 = 50, p02 = p03 = 49, …); value if retained
        # (i) breaks them; p_churn falls with i, so it would put p00 first; p24 is lapsing
        db.add_all([Customer(id=f"p{i:02d}", owner_id=owner, p_churn=1 - i / 100,
                             profit_at_risk=float(50 - i // 2), value_if_retained=float(i),
                             lifecycle="lapsing" if i == 24 else "active")
                    for i in range(25)])
        db.commit()
    client = world_app.client("owner")
    first = client.get("/api/customers", params={"page_size": 10, "sort": "id"}).json()
    assert (first["total"], first["page"], first["page_size"]) == (27, 1, 10)
    assert [c["customer_id"] for c in first["items"]][:3] == ["a_ann", "c_ann", "p00"]
    third = client.get("/api/customers", params={"page_size": 10, "page": 3, "sort": "id"})
    assert _ids(third) == [f"p{i:02d}" for i in range(18, 25)]
    riskiest = client.get("/api/customers", params={"page_size": 4}).json()["items"]
    assert [c["customer_id"] for c in riskiest] == ["p01", "p00", "p03", "p02"]
    assert [(c["profit_at_risk"], c["value_if_retained"]) for c in riskiest[:2]] == [
        (50.0, 1.0), (50.0, 0.0)]
    unscored = client.get("/api/customers", params={"page_size": 10, "page": 3}).json()
    assert [c["customer_id"] for c in unscored["items"]][-2:] == ["a_ann", "c_ann"]  # no value
    valuable = client.get("/api/customers", params={"page_size": 2, "sort": "value"})
    assert _ids(valuable) == ["p24", "p23"]
    lapsing = client.get("/api/customers", params={"lifecycle": "lapsing"}).json()["items"]
    assert [(c["customer_id"], c["lifecycle"]) for c in lapsing] == [("p24", "lapsing")]
    saving = client.get("/api/customers", params={"lifecycle": "active", "page_size": 1})
    assert _ids(saving) == ["p01"] and saving.json()["total"] == 26
    assert client.get("/api/customers", params={"lifecycle": "gone"}).status_code == 422
    capped = client.get("/api/customers", params={"page_size": 10_000}).json()
    assert capped["page_size"] == 500


def test_search_and_filters_stay_inside_the_scope(world_app):
    client = world_app.client("owner")
    assert _ids(client.get("/api/customers", params={"q": "c_"})) == ["c_ann"]
    assert _ids(client.get("/api/customers", params={"q": "C_BO"})) == []
    manager = world_app.client("manager")
    bo = world_app.world.ids["user_bo"]
    assert _ids(manager.get("/api/customers", params={"owner_id": bo})) == ["c_bo"]


def test_one_customer_404_when_unknown_403_when_someone_elses(world_app):
    client = world_app.client("owner")
    detail = client.get("/api/customers/c_ann").json()
    assert detail["customer_id"] == "c_ann" and detail["open_tasks"] == 1
    assert detail["points_balance"] == 0 and detail["birthday"] == "1990-01-15"
    missing = client.get("/api/customers/nobody")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "customer 'nobody' does not exist.",
                              "code": "not_found"}
    other = client.get("/api/customers/c_bo")
    assert other.status_code == 403 and other.json()["code"] == "forbidden"


def test_points_through_the_api(world_app):
    client = world_app.client("owner")
    assert client.post("/api/customers/c_ann/points",
                       json={"delta": 300, "reason": "birthday"}).json() == {
        "points_balance": 300}
    over = client.post("/api/customers/c_ann/points", json={"delta": -301, "reason": "gift"})
    assert over.status_code == 422
    assert over.json()["detail"] == "customer c_ann has 300 points; cannot redeem 301."
    assert client.get("/api/customers/c_ann").json()["points_balance"] == 300


def test_an_opt_out_is_recorded_with_who_and_why(world_app):
    from sqlalchemy import select

    from churnguard.workflow.models import MarketingOptOut

    client = world_app.client("owner")
    answer = client.post("/api/customers/c_ann/marketing",
                         json={"opted_out": True, "note": "asked on the phone"})
    assert answer.status_code == 200
    assert answer.json() == {"customer_id": "c_ann", "marketing_opt_out": True}
    assert client.post("/api/customers/c_ann/marketing", json={"opted_out": True}).json()[
        "marketing_opt_out"] is True  # the same state again: nothing new recorded
    with world_app.app.state.sessionmaker() as db:
        [row] = db.scalars(select(MarketingOptOut)).all()
        assert (row.customer_id, row.opted_out, row.source, row.note, row.by_id) == (
            "c_ann", True, "api", "asked on the phone", world_app.world.ids["user_ann"])
    assert world_app.client("peer").post("/api/customers/c_ann/marketing",
                                         json={"opted_out": False}).status_code == 403
