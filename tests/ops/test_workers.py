"""`churnguard serve --workers 2` with PostgreSQL as the app database: both worker processes
serve, and both move to the data a batch import publishes."""

from __future__ import annotations

import re
import uuid

import pandas as pd
import pytest
from sqlalchemy import text

from churnguard import Workspace
from churnguard.workflow import make_engine
from churnguard.workflow.demo import seed_demo
from tests.ops.conftest import churnguard, logged_in, served

pytestmark = pytest.mark.pg


@pytest.fixture
def pg_shop(shop, pg_url):  # noqa: ANN001, ANN201
    schema = f"cg_ops_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    path = shop / "churnguard.toml"
    url = f"{pg_url}?options=-csearch_path%3D{schema}"
    settings = re.sub(r'database_url = "[^"]*"', f'database_url = "{url}"',
                      path.read_text(encoding="utf-8"))
    path.write_text(settings, encoding="utf-8")
    with Workspace.open(shop) as ws:
        assert ws.app_database_url == url
        seed_demo(ws)
    yield shop
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_two_workers_on_postgresql_serve_and_follow_a_batch_import(pg_shop, tmp_path):
    with Workspace.open(pg_shop, mode="read") as ws:
        customer = ws.to_pandas("customers")["customer_id"].iloc[0]
    new = tmp_path / "o.csv"
    pd.DataFrame({"order_id": ["WORKERS-1"], "customer_id": [customer],
                  "order_date": ["2026-06-30"], "amount": [1.0]}).to_csv(new, index=False)
    with served(pg_shop, "--workers", "2") as base:
        clients = [logged_in(base, "admin") for _ in range(4)]
        assert all(c.get(f"/customers/{customer}").status_code == 200 for c in clients)
        done = churnguard("import", "orders", str(new), "-w", str(pg_shop))
        assert done.returncode == 0, done.stderr
        for _ in range(3):  # new connections land on either worker
            for client in [logged_in(base, "admin") for _ in range(2)] + clients:
                assert "WORKERS-1" in client.get(f"/customers/{customer}").text


def test_workers_with_a_sqlite_app_database_are_refused_with_the_fix(shop):
    refused = churnguard("serve", "-w", str(shop), "--workers", "2", "--port", "1")
    assert refused.returncode == 1
    assert "--workers > 1 needs PostgreSQL as the app database" in refused.stderr
