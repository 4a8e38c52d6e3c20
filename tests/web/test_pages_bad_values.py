"""Issue 13: the pages' forms and query strings answer ordinary bad values with 4xx, never 5xx.

Every form field of every page route in the authorisation table (:mod:`tests.web.authz_pages`)
gets each value of :data:`BAD_VALUES` in turn, as the actor who may post it; the GET pages get
them in their query parameters. The pages are not in the OpenAPI schema, so the Schemathesis
fuzz of the API (``test_api_fuzz.py``) does not reach them.
"""

from __future__ import annotations

import pytest

from tests.web.authz_pages import PAGE_ROUTES
from tests.web.test_authz_matrix import _fill, _url
from tests.web.world import WorldApp, build_world

BAD_VALUES = ("inf", "-inf", "nan", "1e400", "-1", str(2**63), str(2**62), "9999-12-31",
              "0001-01-01", "9999-12", "", "x" * 5000, "\x00", "名字", "1,5", " ")
QUERIES = {"/dashboard": ("month", "segment", "region", "owner"),
           "/my-customers": ("page", "list"), "/customers": ("q",),
           "/campaigns/preview": ("status", "tier", "segment", "reason")}
# logging in and out changes the session; imports and settings need a workspace (the world has
# none) and have tests of their own (test_admin_settings.py, the import fuzz)
SKIP = {("POST", "/logout"), ("POST", "/login"), ("POST", "/admin/import"),
        ("POST", "/admin/rules/{name}"), ("POST", "/admin/playbooks/{name}")}


@pytest.fixture(scope="module")
def world_app(tmp_path_factory: pytest.TempPathFactory) -> WorldApp:
    folder = tmp_path_factory.mktemp("pages-bad")
    return WorldApp(build_world(folder), folder)


def _actor(case) -> str:  # noqa: ANN001 - an authz Case
    return next(a for a in ("owner", "manager", "admin") if case.expect.get(a) == "ok")


FORMS = sorted((method, path) for (method, path), case in PAGE_ROUTES.items()
               if method == "POST" and case.form and (method, path) not in SKIP)


@pytest.mark.parametrize(("method", "path"), FORMS)
def test_form_fields_refuse_bad_values_without_a_server_error(world_app, method, path):
    case = PAGE_ROUTES[(method, path)]
    client = world_app.client(_actor(case))
    client.headers["accept"] = "application/json"
    url = _url(path, case, world_app.world.ids)
    errors = []
    for field in case.form:
        for value in BAD_VALUES:
            form = {**_fill(case.form, world_app.world.ids), field: value,
                    "csrf_token": client.headers["x-csrf-token"]}
            response = client.post(url, data=form)
            if response.status_code >= 500:
                errors.append(f"{field}={value[:20]!r}: {response.status_code}")
    world_app.reset()
    assert errors == []


@pytest.mark.parametrize("path", sorted(QUERIES))
def test_page_queries_refuse_bad_values_without_a_server_error(world_app, path):
    client = world_app.client("manager")
    errors = []
    for name in QUERIES[path]:
        for value in BAD_VALUES:
            response = client.get(path, params={name: value})
            if response.status_code >= 500:
                errors.append(f"{name}={value[:20]!r}: {response.status_code}")
    assert errors == []
