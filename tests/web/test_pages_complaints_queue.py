"""The complaints queue: reasons read from plain text, priority from value, risk, severity and
age, customers by name, and the escalation task that points to (and answers) its complaint."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from churnguard.workflow.models import Complaint, Customer, Task
from churnguard.workflow.services import complaints
from churnguard.workflow.services.complaint_priority import complaint_priority
from tests.web.pages_support import client_for, post, shop, shop_template  # noqa: F401


def test_a_plainly_worded_complaint_gets_its_reason():
    assert complaints.read_reasons(["你们的报价比别家高出一截", "the parcel arrived two weeks late",
                                    "谢谢"]) == ["price", "delivery", None]


def test_priority_rises_with_value_risk_severity_and_age():
    now = datetime(2026, 7, 1, 12)
    fresh = {"received_at": now, "response_due_at": now + timedelta(days=2), "responded": False,
             "now": now}
    base = complaint_priority(severity="medium", is_core=False, tier="low", p_churn=0.1, **fresh)
    core = complaint_priority(severity="medium", is_core=True, tier="core", p_churn=0.1, **fresh)
    risky = complaint_priority(severity="medium", is_core=True, tier="core", p_churn=0.7,
                               **fresh)
    overdue = complaint_priority(severity="medium", is_core=False, tier="low", p_churn=0.1,
                                 received_at=now - timedelta(days=5),
                                 response_due_at=now - timedelta(days=4), responded=False,
                                 now=now)
    assert (base, core, risky, overdue) == ("low", "medium", "high", "medium")


def test_queue_shows_names_priority_and_translated_reasons(shop):  # noqa: F811
    _, app, _ = shop
    with app.state.sessionmaker() as db:
        complaints.log_complaint(db, db.get(Customer, "b"), severity="high",
                                 description="你们的报价比别家高出一截")
        db.commit()
    page = client_for(app, "rep1", lang="zh").get("/complaints").text
    row = re.search(r'<tr id="complaint-3".*?</tr>', page, re.S).group(0)
    assert "B 公司" in row and 'href="/customers/b"' in row
    assert 'data-reason="price"' in row and "价格因素" in row
    assert 'data-priority="urgent"' in row  # high severity, core customer, p_churn 0.9
    low = re.search(r'<tr id="complaint-1".*?</tr>', page, re.S).group(0)
    assert 'data-priority="high"' in low  # high severity, overdue, growth, p_churn 0.2
    assert page.index('id="complaint-3"') < page.index('id="complaint-1"')


def test_completing_the_escalation_task_answers_and_links_the_complaint(shop):  # noqa: F811
    _, app, ids = shop
    with app.state.sessionmaker() as db:
        escalated = complaints.escalate_overdue(db, now=datetime.now())
        db.commit()
        assert [c.id for c in escalated] == [1]
        task = db.query(Task).filter_by(source_key="complaint-escalation:1").one()
        task_id, version = task.id, task.version
        assert task.owner_id == ids["manager"]
    client = client_for(app, "manager", lang="zh")
    page = client.get("/my-customers").text
    assert 'href="/complaints#complaint-1" data-complaint="1">投诉 #1：待处理 →' in page
    assert post(client, f"/tasks/{task_id}/done", {"version": version}).status_code == 303
    with app.state.sessionmaker() as db:
        complaint = db.get(Complaint, 1)
        assert complaint.status == "responded" and complaint.responded_at is not None
