"""Issue 14: `churnguard refresh` from configured sources while the app serves (end to end),
its idempotence, a failing step that leaves yesterday's data serving, and SQL sources."""

from __future__ import annotations

import sqlite3
import uuid

import pandas as pd
import pytest
from sqlalchemy import text

from churnguard import Workspace
from churnguard.refresh import RefreshError, refresh
from churnguard.workflow import make_engine
from churnguard.workflow.jobs import recent_jobs
from churnguard.workflow.store import open_store
from tests.ops.conftest import churnguard, logged_in, served
from tests.workflow.servers import smtp_server  # noqa: F401


def _configure(folder, extra: str) -> None:  # noqa: ANN001
    path = folder / "churnguard.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")


def _owned_customer(folder) -> tuple[str, str]:  # noqa: ANN001
    """A customer with orders and an owner (rep1 or rep2) in the app, and that owner."""
    factory = open_store(Workspace.open(folder, mode="read"))
    with factory() as session:
        row = session.execute(text(
            "SELECT c.id, u.username FROM customers c JOIN users u ON u.id = c.owner_id "
            "WHERE u.username IN ('rep1', 'rep2') AND c.status = 'active' ORDER BY c.id LIMIT 1"
        )).one()
    return row[0], row[1]


def test_refresh_while_serving_shows_the_new_order_and_mails_the_digest(shop, smtp_server):  # noqa: F811
    customer, rep = _owned_customer(shop)
    (shop / "incoming").mkdir()
    _configure(shop, f'''
[sources.erp_orders]
table = "orders"
files = "incoming/orders-*.csv"
mapping = {{ amount = "销售额" }}

[notify.email]
host = "127.0.0.1"
port = {smtp_server.port}
sender = "churnguard@example.com"
starttls = false
''')
    with served(shop) as base:
        admin = logged_in(base, "admin")
        assert "ORD-E2E-1" not in admin.get(f"/customers/{customer}").text
        pd.DataFrame({"order_id": ["ORD-E2E-1"], "customer_id": [customer],
                      "order_date": ["2026-06-30"], "销售额": [88.5]}).to_csv(
            shop / "incoming" / "orders-2026-06-30.csv", index=False)

        done = churnguard("refresh", "-w", str(shop))
        assert done.returncode == 0, done.stderr + done.stdout
        assert "orders-2026-06-30.csv" in done.stdout.replace("\n", "")

        page = admin.get(f"/customers/{customer}")
        assert page.status_code == 200 and "ORD-E2E-1" in page.text
        history = admin.get("/admin").text
        assert 'translate="no">refresh</td><td>succeeded' in history[history.index('id="jobs"'):]

    digests = smtp_server.to(f"{rep}@example.com")
    assert len(digests) == 1

    again = churnguard("refresh", "-w", str(shop))  # the same file is not imported twice
    assert again.returncode == 0, again.stderr
    assert "imported: nothing new" in again.stdout
    assert len(smtp_server.to(f"{rep}@example.com")) == 1  # nor the digest sent twice
    with open_store(Workspace.open(shop, mode="read"))() as session:
        kinds = [(j.kind, j.status) for j in recent_jobs(session)]
    assert kinds[:2] == [("refresh", "succeeded"), ("refresh", "succeeded")]


def test_a_bad_file_fails_the_import_step_and_yesterdays_data_keeps_serving(shop):
    (shop / "incoming").mkdir()
    _configure(shop, '[sources.erp_orders]\ntable = "orders"\nfiles = "incoming/*.csv"\n')
    with Workspace.open(shop, mode="read") as before:
        version = before.warehouse.version
        known = before.to_pandas("customers")["customer_id"].iloc[0]
    (shop / "incoming" / "a-good.csv").write_text(
        f"order_id,customer_id,order_date,amount\nGOOD-1,{known},2026-06-01,5\n",
        encoding="utf-8")
    (shop / "incoming" / "b-bad.csv").write_text(
        f"order_id,customer_id,order_date,amount\nBAD-1,{known},2026-13-45,5\n",
        encoding="utf-8")
    with pytest.raises(RefreshError, match=r"(?s)step 'import': source 'erp_orders': .*b-bad\.csv"
                       r".*Nothing was published") as failed:
        refresh(shop, notify=False)
    assert failed.value.step == "import"
    with Workspace.open(shop, mode="read") as after:
        assert after.warehouse.version == version
        ids = after.table("orders").order_id.isin(["GOOD-1", "BAD-1"]).sum().execute()
    assert ids == 0  # the good file of the failed run is not half in


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def test_a_sql_source_is_read_with_its_mapping(kind, shop, tmp_path, request):
    rows = [("SQL-1", "2026-06-29", 10.0), ("SQL-2", "2026-06-30", 20.0)]
    with Workspace.open(shop, mode="read") as ws:
        customer = ws.to_pandas("customers")["customer_id"].iloc[0]
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'erp.db'}"
        con = sqlite3.connect(tmp_path / "erp.db")
        con.execute("CREATE TABLE sales (no TEXT, client TEXT, day TEXT, total REAL)")
        con.executemany("INSERT INTO sales VALUES (?, ?, ?, ?)",
                        [(no, customer, day, total) for no, day, total in rows])
        con.commit()
        con.close()
        table = "sales"
    else:
        url = request.getfixturevalue("pg_url")
        table = f"sales_{uuid.uuid4().hex[:8]}"
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f"CREATE TABLE {table} (no TEXT, client TEXT, day DATE, "
                              f"total NUMERIC(10,2))"))
            for no, day, total in rows:
                conn.execute(text(f"INSERT INTO {table} VALUES (:n, :c, :d, :t)"),
                             {"n": no, "c": customer, "d": day, "t": total})
    _configure(shop, f'''
[sources.erp_sales]
table = "orders"
url = "{url}"
query = "SELECT no, client, day, total FROM {table}"
mapping = {{ order_id = "no", customer_id = "client", order_date = "day", amount = "total" }}
''')
    try:
        first = refresh(shop, notify=False)
        second = refresh(shop, notify=False)
    finally:
        if kind == "postgresql":
            with engine.begin() as conn:
                conn.execute(text(f"DROP TABLE {table}"))
            engine.dispose()
    assert [(i["rows"], i["inserted"]) for i in first.imported] == [(2, 2)]
    assert [(i["rows"], i["inserted"], i["updated"]) for i in second.imported] == [(2, 0, 2)]
    with Workspace.open(shop, mode="read") as ws:
        got = ws.to_pandas("orders").set_index("order_id").loc[["SQL-1", "SQL-2"], "amount"]
    assert got.tolist() == [10.0, 20.0]
