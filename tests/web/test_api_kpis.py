"""``/api/kpis``: loyalty KPIs from the warehouse plus scoped workflow figures."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from churnguard.web.app import create_app
from churnguard.workflow.services import auth
from churnguard.workflow.store import open_store, session_scope
from tests.factories import make_workspace, orders_frame
from tests.web.api_client import fresh_world_app
from tests.web.world import web_settings


@pytest.fixture
def world_app(tmp_path):
    return fresh_world_app(tmp_path)


def test_workflow_figures_are_scoped_to_the_caller(world_app):
    owner = world_app.client("owner").get("/api/kpis", params={"end": "2030-01-01"}).json()
    assert owner["loyalty"] is None  # no workspace behind this app
    assert owner["workflow"]["open_tasks"] == 1 and owner["workflow"]["open_cases"] == 1
    assert owner["workflow"]["open_complaints"] == 1
    assert owner["workflow"]["overdue_complaints"] == 1  # logged long before 2030
    other = world_app.client("other_manager").get("/api/kpis").json()["workflow"]
    assert (other["open_tasks"], other["open_complaints"], other["open_cases"]) == (0, 0, 0)
    assert other["win_back_success_rate"] is None  # the one campaign targets another team
    mine = world_app.client("manager").get("/api/kpis").json()["workflow"]
    assert mine["win_back_success_rate"] == 0.0  # its targets are pending


def test_loyalty_kpis_come_from_the_metrics_module(tmp_path):
    pytest.importorskip("churnguard.metrics")
    orders = orders_frame([("a", "2023-01-10", 100.0), ("b", "2023-02-10", 50.0),
                           ("a", "2023-06-10", 80.0), ("c", "2023-08-01", 30.0)])
    ws = make_workspace(tmp_path / "shop", orders=orders)
    app = create_app(ws, settings=web_settings())
    with session_scope(open_store(ws)) as db:
        auth.create_user(db, "boss", "pw-boss", role="admin")
    client = TestClient(app)
    client.post("/api/auth/login", json={"username": "boss", "password": "pw-boss"})
    body = client.get("/api/kpis", params={"end": "2024-01-01", "freq": "all"}).json()
    assert (body["start"], body["end"]) == ("2023-01-01", "2024-01-01")
    from churnguard.metrics import loyalty_kpis

    expected = loyalty_kpis(ws, date(2023, 1, 1), date(2024, 1, 1), freq=None,
                            churn=ws.churn_definition())
    assert len(body["loyalty"]) == len(expected) == 1
    got = pd.Series(body["loyalty"][0])
    # the data starts 2023-01-10: under 180 days 2023 is a warm-up year (no new/churn counts)
    assert got["status"] == expected.iloc[0]["status"] == "warm_up"
    for column in ("customers_start", "new_customers", "churned_customers", "customers_end"):
        want = expected.iloc[0][column]
        assert got[column] == (None if pd.isna(want) else want)
    # the data ends 2023-08-01, so the year stops at 08-02, when a, b and c are all active
    assert (got["period_end"][:10], got["customers_end"]) == ("2023-08-02", 3)
    ws.close()


def test_kpis_answer_for_many_end_dates_after_the_dashboard_was_warmed(tmp_path):
    """The dashboard's scoped view without filters builds the same derived tables as the
    KPIs; evicting one of the pair must not drop the engine table the other still uses."""
    pytest.importorskip("churnguard.metrics")
    from churnguard.warehouse import DERIVED_TABLES_KEPT
    from churnguard.web.pages import warm_cache

    orders = orders_frame([("a", "2023-01-10", 100.0), ("b", "2023-02-10", 50.0),
                           ("a", "2023-06-10", 80.0), ("c", "2023-08-01", 30.0)])
    ws = make_workspace(tmp_path / "shop", orders=orders)
    app = create_app(ws, settings=web_settings())
    with session_scope(open_store(ws)) as db:
        auth.create_user(db, "boss", "pw-boss", role="admin")
    warm_cache(app, background=False)  # as `churnguard serve` does
    client = TestClient(app, raise_server_exceptions=False)
    client.post("/api/auth/login", json={"username": "boss", "password": "pw-boss"})
    ends = [f"2023-{month:02d}-15" for month in range(1, DERIVED_TABLES_KEPT + 4)]
    statuses = [client.get("/api/kpis", params={"end": end, "months": 2}).status_code
                for end in ends]
    assert statuses == [200] * len(ends)
    assert client.get("/api/kpis", params={"end": ends[0], "months": 2}).status_code == 200
    ws.close()
