"""Login, logout, sessions, CSRF, rate limit and the one error shape of the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from churnguard.web.security import CSRF_COOKIE, SESSION_COOKIE
from churnguard.workflow.models import AuthSession, utcnow
from tests.web.api_client import fresh_world_app
from tests.web.world import PASSWORD


@pytest.fixture
def world_app(tmp_path):
    return fresh_world_app(tmp_path)


def _anon(world_app) -> TestClient:
    return TestClient(world_app.app, follow_redirects=False)


def test_login_sets_a_signed_http_only_cookie_and_returns_the_user(world_app):
    client = _anon(world_app)
    response = client.post("/api/auth/login", json={"username": "ann", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json() == {"id": world_app.world.ids["user_ann"], "username": "ann",
                               "display_name": "ann", "role": "rep",
                               "manager_id": world_app.world.ids["user_mia"]}
    header = response.headers["set-cookie"].lower()
    assert "cg_session=" in header and "httponly" in header and "samesite=lax" in header
    assert client.get("/api/auth/me").json()["username"] == "ann"


def test_without_a_session_every_api_route_answers_401_in_one_shape(world_app):
    client = _anon(world_app)
    for path in ("/api/customers", "/api/tasks", "/api/kpis", "/api/customers/c_ann"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.json() == {"detail": "not logged in, or the session expired. POST "
                                             "your user name and password to /api/auth/login.",
                                   "code": "unauthorized"}


def test_a_forged_or_tampered_cookie_is_no_session(world_app):
    client = _anon(world_app)
    client.cookies.set(SESSION_COOKIE, world_app.world.cookies["admin"][:-2] + "xx")
    assert client.get("/api/auth/me").status_code == 401


def test_wrong_password_then_rate_limit(world_app):
    client = _anon(world_app)
    for _ in range(5):
        response = client.post("/api/auth/login", json={"username": "ann", "password": "no"})
        assert response.status_code == 401
        assert response.json() == {"detail": "wrong user name or password.",
                                   "code": "unauthorized"}
    response = client.post("/api/auth/login", json={"username": "ann", "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert "Wait 15 minutes" in response.json()["detail"]


def test_logout_ends_the_server_side_session(world_app):
    client = world_app.client("owner")
    stolen = client.cookies.get(SESSION_COOKIE)
    assert client.post("/api/auth/logout").status_code == 204
    replay = _anon(world_app)
    replay.cookies.set(SESSION_COOKIE, stolen)
    assert replay.get("/api/auth/me").status_code == 401


def test_expired_sessions_are_refused(world_app):
    client = world_app.client("owner")
    assert client.get("/api/auth/me").status_code == 200
    with world_app.app.state.sessionmaker() as db:
        db.execute(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    assert client.get("/api/auth/me").status_code == 401


def test_form_posts_need_the_csrf_token_json_does_not(world_app):
    client = world_app.client("owner")
    token = client.headers.pop("x-csrf-token")
    form = {"customer_id": "c_ann", "title": "Visit"}
    response = client.post("/api/tasks", data=form)
    assert response.status_code == 403
    assert response.json() == {"detail": "the form's CSRF token is missing or stale. Reload "
                                         "the page and submit again.", "code": "csrf_failed"}
    client.cookies.set(CSRF_COOKIE, token)
    forged = client.post("/api/tasks", data={**form, "csrf_token": "forged"})
    assert forged.status_code == 403
    # a valid form token passes the CSRF check (the route itself wants JSON: 422)
    assert client.post("/api/tasks", data={**form, "csrf_token": token}).status_code == 422
    assert client.post("/api/tasks", json=form).status_code == 201


def test_responses_carry_a_csrf_cookie_for_forms(world_app):
    response = _anon(world_app).get("/api/auth/me")
    assert CSRF_COOKIE in response.cookies


def test_unknown_routes_and_bad_input_use_the_same_error_shape(world_app):
    client = world_app.client("owner")
    assert client.get("/api/nothing").json() == {"detail": "Not Found", "code": "not_found"}
    response = client.post("/api/tasks", json={"title": "no customer"})
    assert response.status_code == 422
    assert response.json() == {"detail": "customer_id: Field required", "code": "invalid"}
    response = client.get("/api/customers", params={"page": 0})
    assert response.status_code == 422 and response.json()["code"] == "invalid"


def test_openapi_documents_the_api(world_app):
    paths = _anon(world_app).get("/openapi.json").json()["paths"]
    assert {"/api/auth/login", "/api/customers", "/api/customers/{customer_id}", "/api/tasks",
            "/api/kpis"} <= set(paths)
