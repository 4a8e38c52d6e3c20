"""A tiny hand-built shop, its app and logged-in clients for the page tests.

Customers (Inactivity 180 days):

====  ======  ==========  =====  ======================  ===========================
id    region  segment     owner  orders                  status
====  ======  ==========  =====  ======================  ===========================
a     华东    smb         rep1   2024-01-10 ¥100,        active all year
                                 2024-06-05 ¥200,
                                 2024-07-01 ¥40
b     华东    enterprise  rep1   2023-11-20 ¥300         churns 2024-05-18 (May)
c     华北    smb         rep2   2024-06-20 ¥50          new in June
d     华北    enterprise  rep2   2023-12-15 ¥80          churns 2024-06-12 (June)
====  ======  ==========  =====  ======================  ===========================

June 2024: customers at start 2 (a, d), new 1 (c), churned 1 (d), end 2 (a, c), retention
1/2. May 2024: start 3 (a, b, d), churned 1 (b), end 2, retention 2/3. The July order makes
June the last complete month, so the dashboard opens on June.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from churnguard import Workspace
from churnguard.workflow.models import Complaint, Customer, Task
from churnguard.workflow.services import auth
from tests.factories import orders_frame, set_history_start

PASSWORD = "pw-secret-1"


def make_shop(folder: Path) -> Workspace:
    """The shop above as a DuckDB workspace."""
    ws = Workspace.create(folder)
    ws.load("staff", pd.DataFrame({"staff_id": ["S1", "S2", "M1"],
                                   "name": ["王芳", "李强", "张经理"],
                                   "manager_id": ["M1", "M1", None]}))
    ws.load("customers", pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"],
        "name": ["甲公司", "乙公司", "丙公司", "丁公司"],
        "region": ["华东", "华东", "华北", "华北"],
        "segment": ["smb", "enterprise", "smb", "enterprise"],
        "owner_id": ["S1", "S1", "S2", "S2"]}))
    ws.load("orders", orders_frame([("a", "2024-01-10", 100.0), ("a", "2024-06-05", 200.0),
                                    ("a", "2024-07-01", 40.0),
                                    ("b", "2023-11-20", 300.0), ("c", "2024-06-20", 50.0),
                                    ("d", "2023-12-15", 80.0)]))
    # the shop opened in 2023: its first orders are real first purchases (no warm-up months)
    return set_history_start(ws, "2023-01-01")


def seed_store(app) -> dict[str, int]:  # noqa: ANN001 - a FastAPI app
    """Users admin, manager (with rep1, rep2) and the four customers with scores."""
    auth.use_fast_hashing()
    with app.state.sessionmaker() as db:
        users = {"admin": auth.create_user(db, "admin", PASSWORD, role="admin"),
                 "manager": auth.create_user(db, "manager", PASSWORD, role="manager")}
        for name, staff in (("rep1", "S1"), ("rep2", "S2")):
            users[name] = auth.create_user(db, name, PASSWORD, role="rep",
                                           manager_id=users["manager"].id)
            users[name].staff_id = staff
        db.flush()
        rows = [("a", "rep1", 0.20, 150.0, ["orders fell 60%"]),
                ("b", "rep1", 0.90, 900.0, ["no order for 180 days"]),
                ("c", "rep2", 0.10, 10.0, None), ("d", "rep2", 0.70, 400.0, None)]
        for cid, owner, p, profit, reasons in rows:
            db.add(Customer(id=cid, name=f"{cid.upper()} 公司", owner_id=users[owner].id,
                            region="华东" if cid in "ab" else "华北",
                            segment="smb" if cid in "ac" else "enterprise", p_churn=p,
                            risk_band="high" if p >= 0.5 else "low", profit_at_risk=profit,
                            reasons=reasons, status="active", tier="core" if cid == "b"
                            else "growth"))
        db.flush()
        now = datetime.now()
        db.add(Complaint(customer_id="a", owner_id=users["rep1"].id, severity="high",
                         reason="price", description="价格太高了", status="open",
                         received_at=now - timedelta(days=3),
                         response_due_at=now - timedelta(days=1)))
        db.add(Complaint(customer_id="c", owner_id=users["rep2"].id, severity="low",
                         reason="delivery", description="late delivery", status="open",
                         received_at=now, response_due_at=now + timedelta(days=2)))
        db.add(Task(customer_id="b", owner_id=users["rep1"].id, kind="call",
                    title="Call B about the renewal", due_date=now.date(), status="open"))
        db.commit()
        return {name: user.id for name, user in users.items()}


def csrf(client: TestClient) -> str:
    """The CSRF token of the client's session (fetched from the login form)."""
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if match is None:
        token = client.cookies.get("cg_csrf")
        assert token, "no CSRF token on the login page"
        return token
    return match.group(1)


def login(client: TestClient, username: str, *, password: str = PASSWORD):  # noqa: ANN201
    """Log in through the HTML form; returns the response (not followed)."""
    token = csrf(client)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token}, follow_redirects=False)


def post(client: TestClient, url: str, data: dict | None = None, **kwargs):  # noqa: ANN201
    """A form post with the CSRF token."""
    token = client.cookies.get("cg_csrf")
    return client.post(url, data={**(data or {}), "csrf_token": token},
                       follow_redirects=False, **kwargs)


@pytest.fixture(scope="session")
def shop_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The shop folder with its app database, built once; tests work on copies."""
    from churnguard.web.app import create_app

    folder = tmp_path_factory.mktemp("template") / "shop"
    ws = make_shop(folder)
    app = create_app(ws)
    ids = seed_store(app)
    app.state.engine.dispose()
    ws.close()

    return folder, ids


def _open_copy(template: Path, folder: Path, ids: dict[str, int]):  # noqa: ANN202
    from churnguard.web.app import create_app

    shutil.copytree(template, folder)
    auth.use_fast_hashing()
    ws = Workspace.open(folder)
    app = create_app(ws)
    yield ws, app, ids
    app.state.engine.dispose()
    ws.close()


@pytest.fixture
def shop(shop_template: tuple[Path, dict[str, int]], tmp_path: Path):  # noqa: ANN201
    """A fresh copy of the shop workspace, its app (users and customers seeded), user ids."""
    yield from _open_copy(shop_template[0], tmp_path / "shop", shop_template[1])


@pytest.fixture(scope="module")
def shared_shop(shop_template: tuple[Path, dict[str, int]],
                tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """One copy of the shop for a whole module of tests that only read (aggregates cached)."""
    yield from _open_copy(shop_template[0], tmp_path_factory.mktemp("shared") / "shop",
                          shop_template[1])


def client_for(app, username: str | None, *, lang: str = "en") -> TestClient:  # noqa: ANN001
    """A client (logged in as ``username`` unless None) whose browser asks for ``lang``."""
    client = TestClient(app, headers={"accept": "text/html",
                                      "accept-language": "zh-CN,zh;q=0.9" if lang == "zh"
                                      else "en-US,en;q=0.9"})
    if username:
        response = login(client, username)
        assert response.status_code == 303, response.text
    return client
