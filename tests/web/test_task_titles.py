"""The same system-made task reads in Chinese for a Chinese user and in English for an English
one, on the pages and in the API; a typed title reads as typed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from churnguard.workflow.models import Complaint, Task, User
from churnguard.workflow.services import complaints, handover, surveys
from churnguard.workflow.services.playbooks import parse_playbooks, run_playbooks
from tests.web.pages_support import client_for, shop, shop_template  # noqa: F401

ZH = {"follow_up": "回访投诉 #1：客户对处理结果是否满意？",
      "escalation": "投诉 #1（高）已超时未响应：请立即处理",
      "introduction": "向C 公司介绍自己（新的客户经理）",
      "improvement": "告知客户问题已改进：lower prices",
      "playbook": "致电B 公司：流失风险 90%"}
EN = {"follow_up": "Follow up complaint #1: is the customer satisfied?",
      "escalation": "Overdue complaint #1 (High): respond now",
      "introduction": "Introduce yourself to C 公司 (new account owner)",
      "improvement": "Tell the customer we fixed: lower prices",
      "playbook": "Call B 公司: churn risk 90%"}


@pytest.fixture
def titled(shop):  # noqa: F811
    """The shop with one task from each service, all due today."""
    _, app, ids = shop
    with app.state.sessionmaker() as db:
        complaints.escalate_overdue(db)  # a's complaint #1 is a day late: mia gets a task
        first = db.get(Complaint, 1)
        complaints.resolve(db, first, version=first.version, resolution="discount")
        handover.reassign(db, ["c"], db.get(User, ids["rep1"]))
        surveys.complete_improvement(db, surveys.create_improvement(db, "price",
                                                                    "lower prices"))
        run_playbooks(db, parse_playbooks({}), today=date.today())
        db.execute(update(Task).values(due_date=date.today()))
        db.commit()
    return app


def test_worklist_shows_system_tasks_in_the_reader_s_language(titled):
    for lang, texts in (("zh", ZH), ("en", EN)):
        rep = client_for(titled, "rep1", lang=lang).get("/my-customers").text
        manager = client_for(titled, "manager", lang=lang).get("/my-customers").text
        for name in ("follow_up", "introduction", "improvement", "playbook"):
            assert texts[name] in rep, (lang, name)
        assert texts["escalation"] in manager and texts["escalation"] not in rep
        other = EN if lang == "zh" else ZH
        assert not [name for name in other if other[name] in rep + manager]
        assert "Call B about the renewal" in rep  # typed by a person: as typed


def test_customer_page_and_switch_show_the_same_task_in_either_language(titled):
    client = client_for(titled, "rep1", lang="zh")
    assert ZH["follow_up"] in client.get("/customers/a").text
    english = client.get("/customers/a?lang=en").text
    assert EN["follow_up"] in english and EN["improvement"] in english


def test_api_title_follows_the_caller_s_language_and_keeps_the_message(titled):
    admin = client_for(titled, "admin", lang="zh")
    chinese = {t["id"]: t for t in admin.get("/api/tasks").json()["items"]}
    english = {t["id"]: t for t in admin.get("/api/tasks", params={"lang": "en"}).json()
               ["items"]}
    assert sorted(t["title"] for t in chinese.values()) == sorted(
        [*ZH.values(), "Call B about the renewal", "致电D 公司：流失风险 70%"])
    for task_id, task in english.items():
        assert task["title_key"] == chinese[task_id]["title_key"]
        assert task["title_params"] == chinese[task_id]["title_params"]
    intro = next(t for t in english.values() if t["title_key"] == "tasktitle.introduction")
    assert intro["title"] == EN["introduction"] and intro["title_params"] == {"name": "C 公司"}
    with titled.state.sessionmaker() as db:  # the stored fallback is the English text
        stored = db.scalar(select(Task.title).where(Task.id == intro["id"]))
    assert stored == EN["introduction"]
    plain = client_for(titled, "admin", lang="en").get(f"/api/tasks/{intro['id']}").json()
    assert plain["title"] == EN["introduction"]
