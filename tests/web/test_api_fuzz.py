"""Schemathesis against the API as every role: no request its OpenAPI schema allows (and none
of the near misses Schemathesis derives from it) may get a 5xx.

Each operation gets ``CHURNGUARD_FUZZ_EXAMPLES`` generated requests per role (4 by default;
raise it locally for a longer hunt: 25 per operation and role found nothing more),
derandomised so every run sends the same cases, on the test world's database
(:mod:`tests.web.world`). ``POST /api/auth/logout`` is left out: it would end the role's
session for the operations after it. The HTML pages are not in the OpenAPI schema, so they are
not fuzzed here (their forms use the same constrained types). Schemathesis' own pytest plugin
is not used (its lazy schemas do not combine with parametrised roles); its generated cases are
drawn through Hypothesis here instead.
"""

from __future__ import annotations

import os

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="pip install schemathesis "
                                   "(in the test extras) to fuzz the API")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402 - after importorskip

from tests.web.world import ACTORS, WorldApp, build_world  # noqa: E402

FUZZ_EXAMPLES = int(os.environ.get("CHURNGUARD_FUZZ_EXAMPLES", "4"))
SKIPPED = {("POST", "/api/auth/logout"), ("POST", "/logout")}


@pytest.fixture(scope="module")
def world_app(tmp_path_factory: pytest.TempPathFactory) -> WorldApp:
    folder = tmp_path_factory.mktemp("fuzz")
    return WorldApp(build_world(folder), folder)


@pytest.fixture(scope="module")
def operations(world_app: WorldApp) -> list:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world_app.app)
    found = [result.ok() for result in schema.get_all_operations()]
    return [op for op in found if not op.path.startswith(("/docs", "/redoc", "/openapi"))
            and (op.method.upper(), op.path) not in SKIPPED]


@pytest.mark.parametrize("role", [a for a in ACTORS if a != "peer"])  # peer: like owner
def test_no_request_gets_a_server_error(world_app, operations, role):
    client = world_app.client(role)
    headers, cookies = dict(client.headers), dict(client.cookies)
    server_errors: list[str] = []
    sent = 0

    for operation in operations:
        @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def send(case) -> None:  # noqa: ANN001 - a schemathesis case
            nonlocal sent
            response = case.call(headers=headers, cookies=cookies)
            sent += 1
            if response.status_code >= 500:
                server_errors.append(f"{case.method} {case.formatted_path} "
                                     f"{case.query or ''} {str(case.body)[:200]} -> "
                                     f"{response.status_code} {response.text[:200]}")

        send()
    assert len(operations) >= 40 and sent >= len(operations)
    assert server_errors == [], "\n".join(server_errors[:20])
