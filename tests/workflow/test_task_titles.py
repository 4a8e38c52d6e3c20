"""Task titles in the reader's language: every service writes its task title as a message
(``title_key`` + ``title_params``) with the English text stored as the fallback ``title``."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from churnguard.errors import ConfigError
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import Task
from churnguard.workflow.services import complaints, handover, surveys, tasks
from churnguard.workflow.services.playbooks import parse_playbooks, run_playbooks
from churnguard.workflow.services.tasks import task_title
from tests.workflow.builders import customer, team

NOW = datetime(2024, 7, 1, 9)


def both(task: Task) -> tuple[str, str]:
    return task_title(task, "zh"), task_title(task, "en")


def test_complaint_follow_up_and_escalation_titles(db):
    users = team(db)
    acme = customer(db, "c1", users["ann"], name="Acme")
    first = complaints.log_complaint(db, acme, severity="high", received_at=NOW)
    complaints.resolve(db, first, version=first.version, resolution="refund", now=NOW)
    follow_up = db.scalar(select(Task).where(Task.kind == "complaint_follow_up"))
    assert both(follow_up) == (f"回访投诉 #{first.id}：客户对处理结果是否满意？",
                               f"Follow up complaint #{first.id}: is the customer satisfied?")
    assert follow_up.title == both(follow_up)[1]  # the stored fallback is the English text
    late = complaints.log_complaint(db, acme, severity="critical", received_at=NOW)
    complaints.escalate_overdue(db, now=datetime(2024, 7, 2))
    escalation = db.scalar(select(Task).where(Task.source_key.like("complaint-escalation:%")))
    assert both(escalation) == (f"投诉 #{late.id}（紧急）已超时未响应：请立即处理",
                                f"Overdue complaint #{late.id} (Critical): respond now")


def test_hand_over_introduction_title(db):
    users = team(db)
    customer(db, "c1", users["ann"], name="甲公司")
    handover.reassign(db, ["c1"], users["bo"], now=NOW)
    intro = db.scalar(select(Task).where(Task.kind == "introduction"))
    assert both(intro) == ("向甲公司介绍自己（新的客户经理）",
                           "Introduce yourself to 甲公司 (new account owner)")


def test_improvement_notification_title(db):
    users = team(db)
    acme = customer(db, "c1", users["ann"])
    complaints.log_complaint(db, acme, reason="delivery", received_at=NOW)
    fix = surveys.create_improvement(db, "delivery", "new courier {fast}")
    assert surveys.complete_improvement(db, fix, now=NOW) == 1
    tell = db.scalar(select(Task).where(Task.source_key.like("improvement:%")))
    assert both(tell) == ("告知客户问题已改进：new courier {fast}",
                          "Tell the customer we fixed: new courier {fast}")


def test_playbook_titles_default_configured_and_english_only(db):
    users = team(db)
    customer(db, "c1", users["ann"], name="Acme", is_core=True, p_churn=0.62,
             risk_band="high", scored_as_of=date(2024, 6, 1))
    customer(db, "c2", users["ann"], name="Bolt", p_churn=0.81, risk_band="high",
             scored_as_of=date(2024, 6, 1))
    assert run_playbooks(db, parse_playbooks({}), today=date(2024, 6, 1)) == 2
    made = {t.customer_id: t for t in db.scalars(select(Task))}
    assert both(made["c1"]) == ("致电核心客户Acme：流失风险 62%",
                                "Call core customer Acme: churn risk 62%")
    assert both(made["c2"]) == ("致电Bolt：流失风险 81%", "Call Bolt: churn risk 81%")
    assert made["c2"].title == "Call Bolt: churn risk 81%"
    rules = parse_playbooks({
        "mine": {"risk_band": "high", "title": "Visit {name}", "title_zh": "拜访{name}",
                 "task": "visit", "cooldown_days": 0, "due_days": 0},
        "plain": {"p_churn_min": 0.0, "title": "Check {name}", "cooldown_days": 0}})
    for task in made.values():
        task.status = "done"
    db.flush()
    assert run_playbooks(db, rules, today=date(2024, 9, 1)) == 2
    later = {t.customer_id: t for t in db.scalars(select(Task).where(Task.status == "open"))}
    assert both(later["c1"]) == ("拜访Acme", "Visit Acme")
    assert [r.title_zh for r in rules] == ["拜访{name}", None]


def test_a_person_s_title_reads_the_same_in_both_languages_and_an_edit_drops_the_message(db):
    users = team(db)
    acme = customer(db, "c1", users["ann"], name="Acme")
    typed = tasks.create_task(db, acme, title="给王总打电话")
    assert both(typed) == ("给王总打电话", "给王总打电话") and typed.title_key is None
    intro = tasks.create_task(db, acme, title_key="tasktitle.introduction",
                              title_params={"name": "Acme"}, kind="introduction")
    tasks.update_task(db, intro, version=intro.version, title="Lunch with Acme")
    assert both(intro) == ("Lunch with Acme", "Lunch with Acme")
    assert intro.title_key is None and intro.title_params is None


def test_a_title_message_must_exist_and_fit_its_parameters(db):
    users = team(db)
    acme = customer(db, "c1", users["ann"])
    with pytest.raises(InvalidInputError, match="'tasktitle.nope'"):
        tasks.create_task(db, acme, title_key="tasktitle.nope")
    with pytest.raises(InvalidInputError, match="is not in the catalogue"):
        tasks.create_task(db, acme, title_key="tasktitle.introduction", title_params={})
    stale = Task(title="stored text", title_key="tasktitle.gone", title_params={})
    assert both(stale) == ("stored text", "stored text")  # an unknown key falls back


@pytest.mark.parametrize(("spec", "message"), [
    ({"due_days": "2"}, r"due_days must be a whole number ≥ 0, got '2'"),
    ({"cooldown_days": -1}, r"cooldown_days must be a whole number ≥ 0, got -1"),
    ({"p_churn_min": "high"}, r"p_churn_min must be a number, got 'high'"),
    ({"title": "Call {nmae}"}, r"title 'Call \{nmae\}' cannot be filled in"),
    ({"title_zh": "致电{name:%}"}, r"title_zh '致电\{name:%\}' cannot be filled in"),
    ({"title_zh": ""}, r"title_zh must be a text"),
])
def test_playbook_settings_are_checked_with_a_message_naming_rule_and_key(spec, message):
    with pytest.raises(ConfigError, match=r"\[playbooks\.x\] " + message):
        parse_playbooks({"x": spec})
