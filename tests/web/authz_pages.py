"""The authorisation table of the HTML pages (issue 8 owns these routes; keep this table in
step with them). Same format as :mod:`tests.web.authz`; a visitor without a session is sent to
the login page (``LOGIN``) instead of getting a 401."""

from __future__ import annotations

from tests.web.authz import OK, PUBLIC, Case

LOGIN = "login"
PAGE_ANY_USER = {**PUBLIC, "anon": LOGIN}
PAGE_OWNED = {"anon": LOGIN, "owner": OK, "peer": 403, "manager": OK, "other_manager": 403,
              "admin": OK}
PAGE_MANAGERS = {"anon": LOGIN, "owner": 403, "peer": 403, "manager": OK, "other_manager": OK,
                 "admin": OK}
PAGE_OWNERS_MANAGER = {**PAGE_MANAGERS, "other_manager": 403}
PAGE_ADMIN = {"anon": LOGIN, "owner": 403, "peer": 403, "manager": 403, "other_manager": 403,
              "admin": OK}

PAGE_ROUTES: dict[tuple[str, str], Case] = {
    ("GET", "/"): Case({**PUBLIC, "anon": LOGIN}),
    ("GET", "/login"): Case(PUBLIC),
    ("POST", "/login"): Case(PUBLIC, form={"username": "ann", "password": "pw-test"}),
    ("POST", "/logout"): Case(dict.fromkeys(PUBLIC, LOGIN)),
    ("GET", "/lang/{code}"): Case(PUBLIC, path={"code": "=en"}),
    ("GET", "/profile"): Case(PAGE_ANY_USER),
    ("POST", "/profile"): Case(PAGE_ANY_USER, form={"email": "me@example.com",
                                                    "language": "zh", "channel": "email"}),
    ("GET", "/dashboard"): Case(PAGE_MANAGERS),
    ("POST", "/dashboard/goals"): Case(PAGE_MANAGERS, form={}),
    ("GET", "/dashboard/customers"): Case(PAGE_ANY_USER, query={"view": "segment",
                                                                "group": "smb"}),
    ("GET", "/team"): Case(PAGE_MANAGERS),
    # no job exists in the authorisation fixture: managers and admins get past the role gate
    # to a 404, everyone else is stopped by it
    ("GET", "/jobs/{job_id}"): Case({**PAGE_MANAGERS, "manager": 404, "other_manager": 404,
                                     "admin": 404}, path={"job_id": "=999999"}),
    ("GET", "/jobs/{job_id}/progress"): Case({**PAGE_MANAGERS, "manager": 404,
                                              "other_manager": 404, "admin": 404},
                                             path={"job_id": "=999999"}),
    ("GET", "/my-customers"): Case(PAGE_ANY_USER),
    ("POST", "/tasks/{task_id}/done"): Case(PAGE_OWNED, path={"task_id": "task"},
                                            form={"outcome": "reached", "version": "1"}),
    ("GET", "/customers"): Case(PAGE_ANY_USER),
    ("GET", "/customers/{customer_id}"): Case(PAGE_OWNED, path={"customer_id": "=c_ann"}),
    ("POST", "/customers/{customer_id}/contact"): Case(
        PAGE_OWNED, path={"customer_id": "=c_ann"}, form={"kind": "call", "notes": "ok"}),
    ("POST", "/customers/{customer_id}/plan"): Case(
        PAGE_OWNED, path={"customer_id": "=c_ann"},
        form={"summary": "call + gift", "offer": "gift", "cost": "20"}),
    ("POST", "/customers/{customer_id}/churn"): Case(
        PAGE_OWNED, path={"customer_id": "=c_ann"},
        form={"churn_date": "2024-05-01", "reason": "price"}),
    ("POST", "/customers/{customer_id}/won-back"): Case(
        PAGE_OWNED, path={"customer_id": "=a_ann"}, form={"won_back_on": "2024-06-01"}),
    ("GET", "/complaints"): Case(PAGE_ANY_USER),
    ("POST", "/complaints/{complaint_id}/resolve"): Case(
        PAGE_OWNED, path={"complaint_id": "complaint"},
        form={"resolution": "refunded", "version": "1"}),
    ("GET", "/campaigns"): Case(PAGE_MANAGERS),
    ("GET", "/campaigns/preview"): Case(PAGE_MANAGERS),
    # max's team has no churned customer: the campaign filter is scoped, so it selects none
    ("POST", "/campaigns"): Case({**PAGE_MANAGERS, "other_manager": 422},
                                 form={"name": "win back", "status": "churned",
                                       "create_tasks": "true"}),
    ("GET", "/campaigns/{campaign_id}"): Case(PAGE_OWNERS_MANAGER,
                                              path={"campaign_id": "campaign"}),
    ("GET", "/archive"): Case(PAGE_ANY_USER),
    ("POST", "/archive/{record_id}/visit"): Case(
        PAGE_OWNED, path={"record_id": "archive_record"},
        form={"note": "called", "visited_on": "2024-04-01"}),
    ("GET", "/improvements"): Case(PAGE_MANAGERS),
    ("POST", "/improvements"): Case(PAGE_MANAGERS, form={"reason": "price",
                                                         "description": "new list"}),
    ("POST", "/improvements/{improvement_id}/notify"): Case(
        PAGE_OWNERS_MANAGER, path={"improvement_id": "improvement"}),
    ("GET", "/admin"): Case(PAGE_MANAGERS),
    ("POST", "/admin/users"): Case(PAGE_ADMIN, form={"username": "dan",
                                                     "password": "pw-dan-123"}),
    ("POST", "/admin/users/{user_id}/role"): Case(
        PAGE_ADMIN, path={"user_id": "user_bo"}, form={"role": "rep", "active": "true"}),
    ("POST", "/admin/handover"): Case(
        PAGE_OWNERS_MANAGER, form={"from_user": "@user_ann", "to_user": "@user_bo"}),
    ("POST", "/admin/import"): Case(PAGE_MANAGERS, form={"table": "customers"}),
    # the world is an app database without a workspace: no churnguard.toml to write (422)
    ("POST", "/admin/rules/{name}"): Case({**PAGE_ADMIN, "admin": 422},
                                          path={"name": "=order_drop"},
                                          form={"threshold": "0.6"}),
    ("POST", "/admin/playbooks/{name}"): Case({**PAGE_ADMIN, "admin": 422},
                                              path={"name": "=high_risk"},
                                              form={"due_days": "3"}),
}
