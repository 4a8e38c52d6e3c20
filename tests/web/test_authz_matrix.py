"""Every route × every role × owned / not owned: the app enforces the table in
:mod:`tests.web.authz` (and :mod:`tests.web.authz_pages` for the HTML pages), and every route the
app has must be in one of them."""

from __future__ import annotations

from typing import Any

import pytest

from churnguard.web.app import route_table
from tests.web.authz import API_ROUTES, OK, Case
from tests.web.world import ACTORS, WorldApp, build_world

try:
    from tests.web.authz_pages import PAGE_ROUTES
except ImportError:  # the pages' table is added with the pages
    PAGE_ROUTES: dict[tuple[str, str], Case] = {}

ROUTES: dict[tuple[str, str], Case] = {**API_ROUTES, **PAGE_ROUTES}
LOGIN = "login"  # a redirect to the login page (pages answer anonymous users like this)


@pytest.fixture(scope="module")
def world_app(tmp_path_factory: pytest.TempPathFactory) -> WorldApp:
    folder = tmp_path_factory.mktemp("authz")
    return WorldApp(build_world(folder), folder)


def test_every_route_has_an_entry_and_every_entry_a_route(world_app):
    routes = set(route_table(world_app.app))
    missing = sorted(routes - set(ROUTES))
    stale = sorted(set(ROUTES) - routes)
    assert missing == [], (f"routes without an authorisation entry: {missing}. Add them to "
                           f"tests/web/authz.py (API) or tests/web/authz_pages.py (pages).")
    assert stale == [], f"entries for routes that no longer exist: {stale}"


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        return ids[value[1:]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _url(path: str, case: Case, ids: dict[str, Any]) -> str:
    for name, key in case.path.items():
        value = key[1:] if key.startswith("=") else ids[key]
        path = path.replace("{" + name + "}", str(value))
    return path


def _matches(expected: Any, response: Any) -> bool:
    location = response.headers.get("location", "")
    if expected == LOGIN:
        return response.status_code in (302, 303, 307) and location.startswith("/login")
    if expected == OK:
        redirect_ok = response.status_code in (302, 303) and not location.startswith("/login")
        return 200 <= response.status_code < 300 or redirect_ok
    return response.status_code == expected


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("method", "path"), sorted(ROUTES, key=lambda r: (r[1], r[0])))
def test_route_answers_each_actor_as_the_table_says(world_app, method, path, actor):
    case = ROUTES[(method, path)]
    client = world_app.client(actor)
    ids = world_app.world.ids
    try:
        response = client.request(method, _url(path, case, ids), params=case.query,
                                  json=_fill(case.json, ids),
                                  data=_fill(case.form, ids))
    finally:
        if method != "GET":  # the next test starts from the world as built
            world_app.reset()
    expected = case.expect[actor]
    assert _matches(expected, response), (
        f"{method} {path} as {actor}: expected {expected}, got {response.status_code} "
        f"{response.text[:300]}")
    if response.status_code >= 400 and path.startswith("/api"):
        body = response.json()
        assert set(body) == {"detail", "code"}, body
