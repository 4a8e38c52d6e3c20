"""The authorisation table: for every route, what each actor gets.

Each entry maps ``(METHOD, path)`` (the path exactly as the app declares it) to a
:class:`Case`: how to fill the path, the body to send, and the status each actor expects.
``OK`` means any 2xx (or a 303 redirect for a page). ``tests/web/test_authz_matrix.py`` fails
when a route of the app has no entry here or in ``tests/web/authz_pages.py`` (the HTML pages'
table), and when an entry names a route that no longer exists.

To add a route: pick a policy below (or write the six statuses out), name the world record the
path refers to (see :mod:`tests.web.world`: ``c_ann`` and every ``task``, ``complaint``, ``case``
… belong to the ``owner``), and give a valid body so that an allowed actor really succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OK = "ok"

# policies: what each actor gets -------------------------------------------------------------
PUBLIC = {"anon": OK, "owner": OK, "peer": OK, "manager": OK, "other_manager": OK, "admin": OK}
ANY_USER = {**PUBLIC, "anon": 401}
OWNED = {"anon": 401, "owner": OK, "peer": 403, "manager": OK, "other_manager": 403,
         "admin": OK}
MANAGERS = {"anon": 401, "owner": 403, "peer": 403, "manager": OK, "other_manager": OK,
            "admin": OK}
OWNERS_MANAGER = {**MANAGERS, "other_manager": 403}
ADMIN = {"anon": 401, "owner": 403, "peer": 403, "manager": 403, "other_manager": 403,
         "admin": OK}


@dataclass(frozen=True)
class Case:
    """How to call one route and what each actor expects."""

    expect: dict[str, Any]
    path: dict[str, str] = field(default_factory=dict)  # placeholder → world id key or value
    json: Any = None
    form: dict[str, str] | None = None
    query: dict[str, str] = field(default_factory=dict)


V1 = {"version": 1}
API_ROUTES: dict[tuple[str, str], Case] = {
    ("GET", "/docs"): Case(PUBLIC),
    ("GET", "/docs/oauth2-redirect"): Case(PUBLIC),
    ("GET", "/openapi.json"): Case(PUBLIC),
    ("GET", "/redoc"): Case(PUBLIC),
    ("POST", "/api/auth/login"): Case(PUBLIC, json={"username": "ann", "password": "pw-test"}),
    ("POST", "/api/auth/logout"): Case(ANY_USER),
    ("GET", "/api/auth/me"): Case(ANY_USER),
    ("GET", "/api/customers"): Case(ANY_USER),
    ("GET", "/api/customers/{customer_id}"): Case(OWNED, path={"customer_id": "=c_ann"}),
    ("POST", "/api/customers/{customer_id}/points"): Case(
        OWNED, path={"customer_id": "=c_ann"}, json={"delta": 100, "reason": "birthday gift"}),
    ("POST", "/api/customers/{customer_id}/marketing"): Case(
        OWNED, path={"customer_id": "=c_ann"}, json={"opted_out": True, "note": "asked"}),
    ("GET", "/api/tasks"): Case(ANY_USER),
    ("POST", "/api/tasks"): Case(OWNED, json={"customer_id": "c_ann", "title": "Visit"}),
    ("GET", "/api/tasks/{task_id}"): Case(OWNED, path={"task_id": "task"}),
    ("PATCH", "/api/tasks/{task_id}"): Case(OWNED, path={"task_id": "task"},
                                            json={**V1, "status": "done"}),
    ("GET", "/api/complaints"): Case(ANY_USER),
    ("POST", "/api/complaints"): Case(OWNED, json={"customer_id": "c_ann", "severity": "high"}),
    ("GET", "/api/complaints/{complaint_id}"): Case(OWNED, path={"complaint_id": "complaint"}),
    ("PATCH", "/api/complaints/{complaint_id}"): Case(
        OWNED, path={"complaint_id": "complaint"}, json={**V1, "severity": "critical"}),
    ("POST", "/api/complaints/{complaint_id}/respond"): Case(
        OWNED, path={"complaint_id": "complaint"}, json=V1),
    ("POST", "/api/complaints/{complaint_id}/resolve"): Case(
        OWNED, path={"complaint_id": "complaint"},
        json={**V1, "resolution": "refunded", "compensation": 20}),
    ("GET", "/api/cases"): Case(ANY_USER),
    ("GET", "/api/cases/summary"): Case(MANAGERS),
    ("GET", "/api/cases/{case_id}"): Case(OWNED, path={"case_id": "case"}),
    ("POST", "/api/cases/{case_id}/stage"): Case(OWNED, path={"case_id": "case"},
                                                 json={"stage": "saving"}),
    ("POST", "/api/cases/{case_id}/plans"): Case(
        OWNED, path={"case_id": "case"}, json={"summary": "call + gift",
                                               "offers": [["gift box", 30]]}),
    ("GET", "/api/campaigns"): Case(MANAGERS),
    ("POST", "/api/campaigns"): Case(OWNERS_MANAGER, json={
        "name": "spring win-back", "customer_ids": ["a_ann"], "holdout_share": 0.0}),
    # the world's campaign targets ann's customers: max (another team) may not touch it
    ("GET", "/api/campaigns/{campaign_id}"): Case(OWNERS_MANAGER,
                                                  path={"campaign_id": "campaign"}),
    ("POST", "/api/campaigns/{campaign_id}/contact"): Case(
        OWNERS_MANAGER, path={"campaign_id": "campaign"}),
    ("POST", "/api/campaigns/{campaign_id}/outcomes"): Case(
        OWNERS_MANAGER, path={"campaign_id": "campaign"},
        json={"outcomes": {"a_ann": "success"}}),
    ("GET", "/api/care"): Case(ANY_USER, query={"start": "2030-01-01"}),
    ("POST", "/api/care/{event_id}/done"): Case(OWNED, path={"event_id": "care_event"},
                                                json={"done": True}),
    ("GET", "/api/archive"): Case(ANY_USER),
    ("POST", "/api/archive/{customer_id}/visits"): Case(
        OWNED, path={"customer_id": "=a_ann"}, json={"visited_on": "2024-04-01"}),
    ("POST", "/api/archive/{customer_id}/won-back"): Case(
        OWNED, path={"customer_id": "=a_ann"}, json={"on": "2024-05-01"}),
    ("POST", "/api/surveys"): Case(OWNED, json={"customer_id": "c_ann", "kind": "nps"}),
    ("POST", "/api/surveys/{survey_id}/answers"): Case(
        OWNED, path={"survey_id": "survey"}, json=[{"question": "satisfied?", "score": 4}]),
    ("GET", "/api/improvements"): Case(ANY_USER),
    ("POST", "/api/improvements"): Case(MANAGERS, json={"reason": "price",
                                                        "description": "new price list"}),
    # the world's improvement links c_ann (who complained about delivery): ann's team only
    ("POST", "/api/improvements/{improvement_id}/done"): Case(
        OWNERS_MANAGER, path={"improvement_id": "improvement"}),
    ("GET", "/api/users"): Case(ANY_USER),
    ("POST", "/api/users"): Case(ADMIN, json={"username": "dan", "password": "pw-dan"}),
    ("POST", "/api/users/{user_id}/leave"): Case(
        OWNERS_MANAGER, path={"user_id": "user_ann"}, json={"left_on": "2030-02-01"}),
    ("GET", "/api/users/{user_id}/handover"): Case(OWNERS_MANAGER, path={"user_id": "user_ann"}),
    ("POST", "/api/users/{user_id}/handover"): Case(
        OWNERS_MANAGER, path={"user_id": "user_ann"},
        json={"customer_ids": ["c_ann"], "to_user_id": "@user_bo"}),
    ("POST", "/api/users/{user_id}/handover/bulk"): Case(
        OWNERS_MANAGER, path={"user_id": "user_ann"}, json={"to_user_ids": ["@user_bo"]}),
    ("GET", "/api/audit"): Case(ADMIN),
    ("GET", "/api/kpis"): Case(ANY_USER),
    # the world app has no workspace: an admin gets past authorisation to the config error
    ("POST", "/api/sync"): Case({**ADMIN, "admin": 400}),
}
