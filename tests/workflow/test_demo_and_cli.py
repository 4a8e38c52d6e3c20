"""``seed_demo`` and the ``churnguard sync`` / ``user`` commands."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from sqlalchemy import func, select
from typer.testing import CliRunner

from churnguard.cli import app
from churnguard.workflow.demo import seed_demo
from churnguard.workflow.models import Customer, Task, User
from churnguard.workflow.services import auth
from churnguard.workflow.store import open_store
from tests.factories import make_workspace, orders_frame


def _shop(tmp_path):
    customers = pd.DataFrame({"customer_id": ["c1", "c2", "c3", "c4", "c5"],
                              "owner_id": ["s1", "s1", "s2", "s2", None]})
    orders = orders_frame([(f"c{i}", "2024-01-05", 10.0 * i) for i in range(1, 6)])
    ws = make_workspace(tmp_path / "shop", customers=customers, orders=orders,
                        staff=pd.DataFrame({"staff_id": ["s1", "s2"]}))
    ws.warehouse.replace("risk_scores", pa.table({
        "customer_id": ["c1", "c3"], "as_of": pa.array([pd.Timestamp("2024-02-01").date()] * 2),
        "p_churn": [0.9, 0.8], "risk_band": ["high", "high"]}))
    return ws


def test_seed_demo_creates_one_login_per_role_and_shares_the_customers(tmp_path):
    ws = _shop(tmp_path)
    first = seed_demo(ws)
    again = seed_demo(ws)
    assert first["password"] == "demo" and first["customers"] == {"rep1": 3, "rep2": 2}
    assert again["customers"] == first["customers"]
    assert [u["username"] for u in first["users"]] == ["admin", "manager", "rep1", "rep2"]
    factory = open_store(ws)
    with factory() as db:
        users = {u.username: u for u in db.scalars(select(User))}
        assert {n: users[n].role for n in ("admin", "manager", "rep1", "rep2")} == {
            "admin": "admin", "manager": "manager", "rep1": "rep", "rep2": "rep"}
        assert users["rep1"].manager_id == users["manager"].id == users["rep2"].manager_id
        assert {n: users[n].email for n in ("admin", "rep2")} == {
            "admin": "admin@example.com", "rep2": "rep2@example.com"}
        auth.login(db, "rep2", "demo")
        owners = dict(db.execute(select(Customer.id, Customer.owner_id)).all())
        assert owners == {"c1": users["rep1"].id, "c2": users["rep2"].id,
                          "c3": users["rep1"].id, "c4": users["rep2"].id,
                          "c5": users["rep1"].id}
        # the playbook tasks of the high-risk customers went along with them
        task_owners = dict(db.execute(select(Task.customer_id, Task.owner_id)).all())
        assert task_owners == {"c1": users["rep1"].id, "c3": users["rep1"].id}
        assert db.scalar(select(func.count()).select_from(Task)) == 2
    assert set(ws.to_pandas("customer_owners")["owner"]) == {"rep1", "rep2"}
    ws.close()


def test_cli_user_add_list_passwd_and_sync(tmp_path):
    ws = _shop(tmp_path)
    folder = str(ws.folder)
    ws.close()
    runner = CliRunner()
    result = runner.invoke(app, ["user", "add", "boss", "-w", folder, "--role", "admin",
                                 "--password", "s3cret-pw"])
    assert result.exit_code == 0, result.output
    assert "created user boss (admin)" in result.output
    duplicate = runner.invoke(app, ["user", "add", "boss", "-w", folder, "--password", "x"])
    assert duplicate.exit_code != 0
    assert "user 'boss' already exists" in str(duplicate.exception)
    synced = runner.invoke(app, ["sync", "-w", folder])
    assert synced.exit_code == 0, synced.output
    assert "sync as of 2024-02-01" in synced.output and "tasks_created" in synced.output
    claimed = runner.invoke(app, ["user", "add", "ann", "-w", folder, "--staff-id", "s1",
                                  "--password", "pw-ann-1"])
    assert claimed.exit_code == 0, claimed.output
    listing = runner.invoke(app, ["user", "list", "-w", folder])
    assert "ann" in listing.output and "boss" in listing.output
    changed = runner.invoke(app, ["user", "passwd", "ann", "-w", folder, "--password", "new-pw"])
    assert changed.exit_code == 0
    from churnguard import Workspace

    with Workspace.open(folder) as reopened, open_store(reopened)() as db:
        ann, _token = auth.login(db, "ann", "new-pw")
        assert ann.staff_id == "s1"
        owned = db.scalars(select(Customer.id).where(Customer.owner_id == ann.id)).all()
        assert sorted(owned) == ["c1", "c2"]
