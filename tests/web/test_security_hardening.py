"""Issue 13, medium 7 and the low items: login timing, lockout per user and address, trusted
proxies, body size, Secure cookies, security headers, CSRF tied to the session, task versions."""

from __future__ import annotations

from dataclasses import replace

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from churnguard.web.app import create_app
from churnguard.web.security import (
    CSP,
    CSRF_COOKIE,
    CSRF_HEADER,
    SESSION_COOKIE,
    CookieSigner,
    new_csrf_token,
)
from churnguard.workflow.models import LoginAttempt
from churnguard.workflow.services import auth
from tests.web.api_client import fresh_world_app
from tests.web.world import PASSWORD, SECRET, WorldApp, web_settings


@pytest.fixture
def world_app(tmp_path):
    return fresh_world_app(tmp_path)


def _app_with(world_app: WorldApp, **settings) -> TestClient:  # noqa: ANN003
    """The world's database behind an app with other web settings."""
    app = create_app(database_url=f"sqlite:///{world_app.path}",
                     settings=replace(web_settings(), **settings))
    return app


def _login(app, username: str, password: str, *, address: str = "10.0.0.1",  # noqa: ANN001
           forwarded: str | None = None) -> int:
    client = TestClient(app, client=(address, 50000))
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    return client.post("/api/auth/login", json={"username": username, "password": password},
                       headers=headers).status_code


class CountingHasher(PasswordHasher):
    """The fast test hasher, counting the passwords it checks."""

    checks = 0

    def verify(self, hash: str, password: str) -> bool:  # noqa: A002 - argon2's name
        CountingHasher.checks += 1
        return super().verify(hash, password)


def test_an_unknown_user_costs_one_password_check_like_a_known_one(world_app, monkeypatch):
    monkeypatch.setattr(auth, "_hasher", CountingHasher(time_cost=1, memory_cost=1024,
                                                        parallelism=1))
    monkeypatch.setattr(auth, "_dummy_hash", None)
    CountingHasher.checks = 0
    assert _login(world_app.app, "nobody", "guess") == 401
    assert CountingHasher.checks == 1
    assert _login(world_app.app, "ann", "guess") == 401
    assert CountingHasher.checks == 2


def test_failed_logins_lock_a_name_only_from_that_address(world_app):
    policy = auth.LoginPolicy(max_failures=3, max_failures_per_ip=50)
    app = _app_with(world_app, login_policy=policy)
    for _ in range(3):
        assert _login(app, "ann", "wrong", address="10.0.0.66") == 401
    assert _login(app, "ann", PASSWORD, address="10.0.0.66") == 429
    assert _login(app, "ann", PASSWORD, address="10.0.0.7") == 200  # the owner elsewhere


def test_forwarded_for_counts_only_from_a_trusted_proxy(world_app):
    policy = auth.LoginPolicy(max_failures=50, max_failures_per_ip=3)
    app = _app_with(world_app, login_policy=policy)
    for n in range(3):  # rotating the header does not make new addresses
        assert _login(app, f"user{n}", "x", address="127.0.0.1", forwarded=f"1.2.3.{n}") == 401
    assert _login(app, "ann", PASSWORD, address="127.0.0.1", forwarded="1.2.3.9") == 429
    proxied = _app_with(world_app, login_policy=policy, trusted_proxies=("10.9.0.0/16",))
    assert _login(proxied, "bo", "x", address="10.9.1.1", forwarded="203.0.113.5, 10.9.2.2"
                  ) == 401
    with proxied.state.sessionmaker() as db:
        last = db.scalars(select(LoginAttempt).order_by(LoginAttempt.id.desc())).first()
    assert (last.username, last.ip) == ("bo", "203.0.113.5")


def test_json_bodies_over_the_limit_are_refused(world_app):
    app = _app_with(world_app, max_body_bytes=10_000)
    client = TestClient(app)
    client.cookies.set(SESSION_COOKIE, world_app.world.cookies["owner"])
    big = client.post("/api/complaints", json={"customer_id": "c_ann", "description": "x" * 20_000})
    assert big.status_code == 413 and big.json()["code"] == "payload_too_large"

    def chunks():  # no Content-Length: counted as it streams
        yield b'{"customer_id": "c_ann", "description": "'
        yield b"y" * 20_000
        yield b'"}'

    streamed = client.post("/api/complaints", content=chunks(),
                           headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    small = client.post("/api/complaints", json={"customer_id": "c_ann", "description": "ok"})
    assert small.status_code == 201


def test_secure_cookies_come_from_churnguard_toml(tmp_path, monkeypatch):
    from churnguard import Workspace

    ws = Workspace.create(tmp_path / "shop")
    (tmp_path / "shop" / "churnguard.toml").write_text(
        "[app]\nsecure_cookies = true\n", encoding="utf-8")
    ws = Workspace.open(tmp_path / "shop")
    app = create_app(ws)
    with app.state.sessionmaker() as db:
        auth.create_user(db, "ann", PASSWORD)
        db.commit()
    response = TestClient(app).post("/api/auth/login",
                                    json={"username": "ann", "password": PASSWORD})
    cookies = response.headers.get_list("set-cookie")
    assert response.status_code == 200
    assert all("secure" in c.lower() for c in cookies) and len(cookies) >= 2
    app.state.engine.dispose()
    ws.close()


def test_pages_and_api_carry_security_headers(world_app):
    client = world_app.client("owner")
    for path in ("/my-customers", "/api/auth/me", "/login"):
        headers = client.get(path).headers
        assert headers["x-frame-options"] == "DENY", path
        assert headers["content-security-policy"] == CSP, path
        assert "frame-ancestors 'none'" in CSP and "script-src 'self';" in CSP
    docs = client.get("/docs").headers
    assert "content-security-policy" not in docs and docs["x-frame-options"] == "DENY"


def test_a_csrf_token_works_only_with_its_own_session(world_app):
    signer = CookieSigner(SECRET)
    ann, bo = world_app.world.cookies["owner"], world_app.world.cookies["peer"]
    task = world_app.world.ids["task"]
    for token, expected in ((new_csrf_token(signer, bo), 403),  # bo's token in ann's session
                            (new_csrf_token(signer, None), 403),  # planted before a login
                            (new_csrf_token(signer, ann), 303)):
        client = TestClient(world_app.app, follow_redirects=False)
        client.cookies.set(SESSION_COOKIE, ann)
        client.cookies.set(CSRF_COOKIE, token)
        response = client.post(f"/tasks/{task}/done", data={"version": "1"},
                               headers={CSRF_HEADER: token})
        assert response.status_code == expected, response.text[:200]


def test_a_login_issues_the_csrf_token_of_the_new_session(world_app):
    client = TestClient(world_app.app, follow_redirects=False)
    client.get("/login")
    before = client.cookies[CSRF_COOKIE]
    response = client.post("/login", data={"username": "ann", "password": PASSWORD,
                                           "csrf_token": before})
    assert response.status_code == 303
    after = client.cookies[CSRF_COOKIE]
    assert after != before
    task = world_app.world.ids["task"]
    stale = client.post(f"/tasks/{task}/done", data={"version": "1", "csrf_token": before})
    assert stale.status_code == 403
    fresh = client.post(f"/tasks/{task}/done", data={"version": "1", "csrf_token": after})
    assert fresh.status_code == 303


def test_done_from_the_worklist_needs_the_version_it_showed(world_app):
    client = world_app.client("owner")
    token = client.headers[CSRF_HEADER]
    task = world_app.world.ids["task"]
    assert client.patch(f"/api/tasks/{task}", json={"version": 1, "title": "Call again"}
                        ).status_code == 200
    missing = client.post(f"/tasks/{task}/done", data={"csrf_token": token},
                          headers={"accept": "application/json"})
    assert missing.status_code == 422
    stale = client.post(f"/tasks/{task}/done", data={"version": "1", "csrf_token": token},
                        headers={"accept": "application/json"})
    assert stale.status_code == 409
    current = client.post(f"/tasks/{task}/done", data={"version": "2", "csrf_token": token})
    assert current.status_code == 303
