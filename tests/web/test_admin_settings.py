"""An admin changes warning-rule thresholds and playbooks on the admin page: checked by the
library's parsers, written to churnguard.toml (comments kept, atomically), audited, in force at
once; managers read them only; a bad value changes nothing."""

from __future__ import annotations

import re
import tomllib
from datetime import date

import pytest
from sqlalchemy import select

from churnguard.config_edit import settings_version
from churnguard.workflow.models import AuditEntry, Customer, Task, User
from churnguard.workflow.services.playbooks import parse_playbooks, run_playbooks
from churnguard.workflow.services.tasks import task_title
from tests.web.pages_support import client_for, post, shop, shop_template  # noqa: F401


@pytest.fixture
def admin_shop(shop):  # noqa: F811
    ws, app, ids = shop
    return ws, app, client_for(app, "admin")


def toml_of(ws) -> str:  # noqa: ANN001
    return (ws.folder / "churnguard.toml").read_text(encoding="utf-8")


def settings_audit(app) -> list[AuditEntry]:  # noqa: ANN001
    with app.state.sessionmaker() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.entity == "settings")
                               .order_by(AuditEntry.id)))


def test_admin_changes_a_threshold_and_turns_a_rule_off(admin_shop):
    ws, app, client = admin_shop
    before = toml_of(ws)
    version = settings_version(ws.folder)
    page = post(client, "/admin/rules/order_drop", {"threshold": "0.6", "enabled": "true",
                                                    "settings_version": version})
    assert page.status_code == 200 and "Saved [rules.order_drop]" in page.text
    page = post(client, "/admin/rules/owner_left", {"threshold": "90",
                                                    "settings_version": settings_version(
                                                        ws.folder)})
    assert page.status_code == 200
    text = toml_of(ws)
    assert text.startswith(before)  # every comment and section as it was, the rules after it
    assert tomllib.loads(text)["rules"] == {"order_drop": {"threshold": 0.6},
                                            "owner_left": {"threshold": 90.0, "enabled": False}}
    assert ws.settings.section("rules")["owner_left"]["enabled"] is False  # in force now
    shown = client.get("/admin").text
    row = shown.split('id="rules-owner_left"')[1].split("</tr>")[0]
    assert 'value="90.0"' in row and "checked" not in row
    assert 'value="0.6"' in shown.split('id="rules-order_drop"')[1].split("</tr>")[0]
    entries = settings_audit(app)
    assert [(e.entity_id, e.before, e.after) for e in entries] == [
        ("rules.order_drop", None, {"threshold": 0.6}),
        ("rules.owner_left", None, {"threshold": 90.0, "enabled": False})]
    with app.state.sessionmaker() as db:
        admin_id = db.scalar(select(User.id).where(User.username == "admin"))
    assert {e.actor_id for e in entries} == {admin_id}


@pytest.mark.parametrize(("threshold", "message"), [
    ("lots", "threshold must be a number ≥ 0, received &#39;lots&#39;"),   # the library's check
    ("-0.5", "threshold must be a number ≥ 0, received -0.5"),
    ("nan", "threshold must be a number ≥ 0"),
    ("", "give a threshold"),
])
def test_a_bad_threshold_is_refused_on_the_page_and_nothing_is_written(admin_shop, threshold,
                                                                      message):
    ws, app, client = admin_shop
    before = toml_of(ws)
    page = post(client, "/admin/rules/order_drop", {"threshold": threshold})
    assert page.status_code == 422
    assert "Nothing was changed." in page.text and message in page.text
    assert toml_of(ws) == before and settings_audit(app) == []
    assert ws.settings.section("rules") == {}


def test_unknown_rule_and_stale_form_are_refused(admin_shop):
    ws, app, client = admin_shop
    old = settings_version(ws.folder)
    assert post(client, "/admin/rules/no_such_rule", {"threshold": "1"}).status_code == 422
    assert post(client, "/admin/rules/order_drop", {"threshold": "0.7", "enabled": "true",
                                                    "settings_version": old}).status_code == 200
    stale = post(client, "/admin/rules/order_drop", {"threshold": "0.2",
                                                     "settings_version": old})
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    assert tomllib.loads(toml_of(ws))["rules"]["order_drop"] == {"threshold": 0.7}
    assert len(settings_audit(app)) == 1


def test_managers_read_the_settings_but_cannot_change_them(shop):  # noqa: F811
    ws, app, _ = shop
    manager = client_for(app, "manager")
    page = manager.get("/admin").text
    assert 'data-rule="order_drop"' in page and 'data-playbook="high_risk"' in page
    assert "/admin/rules/" not in page and "/admin/playbooks/" not in page
    assert "Only an administrator can change these." in page
    before = toml_of(ws)
    assert post(manager, "/admin/rules/order_drop", {"threshold": "0.1"}).status_code == 403
    assert post(manager, "/admin/playbooks/high_risk", {"due_days": "1"}).status_code == 403
    assert toml_of(ws) == before


def test_a_post_without_the_csrf_token_is_refused(admin_shop):
    ws, _, client = admin_shop
    before = toml_of(ws)
    response = client.post("/admin/rules/order_drop", data={"threshold": "0.6"},
                           headers={"accept": "application/json"})
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert toml_of(ws) == before


def test_admin_edits_a_built_in_playbook_and_sync_uses_it_at_once(admin_shop):
    ws, app, client = admin_shop
    form = {"risk_band": "high", "task": "visit", "due_days": "3", "cooldown_days": "30",
            "title": "Visit {name} ({p_churn:.0%})", "title_zh": "拜访{name}（{p_churn:.0%}）",
            "settings_version": settings_version(ws.folder)}
    page = post(client, "/admin/playbooks/high_risk", form)
    assert page.status_code == 200, page.text
    playbooks = tomllib.loads(toml_of(ws))["playbooks"]
    assert list(playbooks) == ["core_high_risk", "high_risk"]  # the other built-in is kept
    assert playbooks["high_risk"] == {"risk_band": "high", "task": "visit", "due_days": 3,
                                      "title": "Visit {name} ({p_churn:.0%})",
                                      "title_zh": "拜访{name}（{p_churn:.0%}）",
                                      "cooldown_days": 30}
    rules = parse_playbooks(app.state.workspace.settings.section("playbooks"))
    with app.state.sessionmaker() as db:
        db.get(Customer, "b").scored_as_of = date(2024, 6, 1)
        run_playbooks(db, rules, today=date(2024, 6, 1))
        task = db.scalar(select(Task).where(Task.signal == "playbook:high_risk",
                                            Task.customer_id == "b"))
        assert (task.kind, task.due_date) == ("visit", date(2024, 6, 4))
        assert task_title(task, "zh") == "拜访B 公司（90%）"
        assert task_title(task, "en") == "Visit B 公司 (90%)"
    [entry] = settings_audit(app)
    assert entry.entity_id == "playbooks.high_risk" and entry.after["task"] == "visit"
    assert entry.before["title_zh"] == "致电{name}：流失风险 {p_churn:.0%}"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("due_days", "soon", "[playbooks.high_risk] due_days must be a whole number ≥ 0, got 'soon'"),
    ("title", "Call {nmae}", "[playbooks.high_risk] title 'Call {nmae}' cannot be filled in"),
    ("p_churn_min", "high", "[playbooks.high_risk] p_churn_min must be a number, got 'high'"),
    ("task", "fax", "[playbooks.high_risk] task 'fax' is not one of"),
])
def test_a_bad_playbook_value_is_refused_and_nothing_is_written(admin_shop, field, value,
                                                                message):
    ws, app, client = admin_shop
    before = toml_of(ws)
    page = post(client, "/admin/playbooks/high_risk", {"risk_band": "high", field: value})
    assert page.status_code == 422
    assert message in re.sub(r"&#3[49];", lambda m: {"&#34;": '"', "&#39;": "'"}[m[0]],
                             page.text)
    assert toml_of(ws) == before and settings_audit(app) == []


def test_only_playbooks_in_force_can_be_edited(admin_shop):
    ws, _, client = admin_shop
    before = toml_of(ws)
    page = post(client, "/admin/playbooks/made_up", {"due_days": "3"})
    assert page.status_code == 422 and "there is no playbook" in page.text
    assert toml_of(ws) == before


def test_a_change_made_by_another_process_is_read_on_the_next_request(admin_shop):
    ws, _, client = admin_shop
    path = ws.folder / "churnguard.toml"
    path.write_text(toml_of(ws) + "\n[rules.complaints]\nthreshold = 5.0\n", encoding="utf-8")
    page = client.get("/admin").text
    assert 'value="5.0"' in page.split('id="rules-complaints"')[1].split("</tr>")[0]
    assert ws.settings.section("rules") == {"complaints": {"threshold": 5.0}}
