"""The daily notifications end to end on a tiny hand-built book: who gets which digest in which
language through which channel, risk-jump alerts, escalations to the manager, and nothing sent
twice when run again (SMTP and a 企业微信 robot on loopback)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from churnguard.workflow.channels import EmailSettings, NotifySettings, WebhookSettings
from churnguard.workflow.models import Complaint, Customer, OutboxMessage, RiskCase, Task
from churnguard.workflow.services.notify import run_daily
from tests.workflow.builders import customer, team

TODAY = date(2024, 6, 3)
NOW = datetime(2024, 6, 3, 7, 30)


@pytest.fixture
def book(db):
    users = team(db)
    users["ann"].email, users["ann"].language = "ann@example.com", "zh"
    users["ann"].display_name = "安"
    users["bo"].email, users["bo"].notify_channels = "bo@example.com", ["email", "wecom"]
    users["mia"].email = "mia@example.com"
    ann, bo, cy = users["ann"], users["bo"], users["cy"]
    customer(
        db,
        "a1",
        ann,
        name="甲公司",
        is_core=True,
        lifecycle="lapsing",
        value_if_retained=12345.6,
        p_churn=0.4,
        alerted_p_churn=0.4,
    )
    customer(db, "a2", ann, name="乙公司", p_churn=0.82, profit_at_risk=900.0)
    customer(db, "a3", ann, name="丙公司", p_churn=0.7, profit_at_risk=1000.0)
    customer(
        db,
        "b1",
        bo,
        name="Bolt Ltd",
        is_core=True,
        p_churn=0.6,
        alerted_p_churn=0.3,
        scored_as_of=TODAY,
    )
    customer(db, "b2", bo, name="Brick", is_core=True, p_churn=0.6, alerted_p_churn=0.5)
    customer(db, "b3", bo, name="Bell", is_core=False, p_churn=0.9, alerted_p_churn=0.1)
    customer(db, "b4", bo, name="Bay", is_core=True, p_churn=0.5)
    customer(db, "c1", cy, name="Cove")
    db.add_all(
        [
            RiskCase(
                customer_id="a2",
                owner_id=ann.id,
                stage="at_risk",
                opened_at=datetime(2024, 6, 3, 8),
            ),
            RiskCase(
                customer_id="a3",
                owner_id=ann.id,
                stage="at_risk",
                opened_at=datetime(2024, 5, 31, 8),
            ),
            Task(
                customer_id="a1",
                owner_id=ann.id,
                title="Call back",
                kind="call",
                due_date=TODAY - timedelta(days=1),
                status="open",
            ),
            Task(
                customer_id="a2",
                owner_id=ann.id,
                title="Intro",
                kind="introduction",
                title_key="tasktitle.introduction",
                title_params={"name": "乙公司"},
                due_date=TODAY,
                status="open",
            ),
            Task(
                customer_id="a2",
                owner_id=ann.id,
                title="Later",
                due_date=TODAY + timedelta(1),
                status="open",
            ),
            Task(customer_id="a3", owner_id=ann.id, title="Done", due_date=TODAY, status="done"),
            Task(
                customer_id="b1", owner_id=bo.id, title="Visit Bolt", due_date=TODAY, status="open"
            ),
            Complaint(
                customer_id="a1",
                owner_id=ann.id,
                severity="high",
                status="open",
                received_at=datetime(2024, 6, 1, 9),
                response_due_at=datetime(2024, 6, 2, 10),
                escalated_at=datetime(2024, 6, 2, 11),
                escalated_to_id=users["mia"].id,
            ),
            Complaint(
                customer_id="a3",
                owner_id=ann.id,
                severity="low",
                status="open",
                received_at=datetime(2024, 6, 3, 6),
                response_due_at=datetime(2024, 6, 3, 9),
            ),
        ]
    )
    db.flush()
    return users


def _settings(smtp, hook) -> NotifySettings:
    return NotifySettings(
        email=EmailSettings(host="127.0.0.1", port=smtp.port, sender="cg@example.com"),
        webhooks={"wecom": WebhookSettings(url=hook.url + "/cgi-bin/webhook/send?key=K")},
    )


def test_digests_alerts_and_escalations_reach_each_person_once(
    db, book, smtp_server, webhook_server
):
    settings = _settings(smtp_server, webhook_server)
    counts = run_daily(db, settings, TODAY, now=NOW)
    assert counts == {
        "digests_queued": 3,
        "digests_empty": 1,
        "risk_alerts_queued": 2,
        "escalations_queued": 1,
        "sent": 6,
        "retrying": 0,
        "failed": 0,
        "interrupted": 0,
    }
    high = db.scalar(select(Complaint).where(Complaint.severity == "high"))  # ids vary on PG
    [ann_mail] = smtp_server.to("ann@example.com")
    assert ann_mail["Subject"] == "2024-06-03 工作摘要：2 项任务到期，1 位新的高风险客户"
    assert ann_mail.get_content().splitlines() == [
        "安，早上好！这是您 2024-06-03 的工作摘要。",
        "",
        "新的高风险客户（1）",
        "- 乙公司（a2）：流失风险 82%",
        "",
        "正在流失的核心客户（1）",
        "- 甲公司（a1）：挽留价值 12,346",
        "",
        "今天到期或已逾期的任务（2）",
        "- Call back（截止 2024-06-02）",
        "- 向乙公司介绍自己（新的客户经理）（截止 2024-06-03）",
        "",
        "已超过响应时限的投诉（1）",  # the low one is due at 09:00, after 07:30
        f"- #{high.id} 甲公司：高，应于 2024-06-02 10:00 前响应",
        "",
        "完整列表请在 churnguard 中查看。",
    ]
    bo_mails = smtp_server.to("bo@example.com")
    assert sorted(m["Subject"] for m in bo_mails) == [
        "Risk jump: Bolt Ltd (b1) now 60%",
        "Your day 2024-06-03: 1 tasks due, 0 new high-risk customers",
    ]
    alert = next(m for m in bo_mails if m["Subject"].startswith("Risk"))
    assert "rose from 30% to 60% (scored 2024-06-03)" in alert.get_content()
    [mia_mail] = smtp_server.to("mia@example.com")
    assert mia_mail["Subject"] == f"Overdue complaint #{high.id} (High): 甲公司"
    assert "owned by 安, needed a response by 2024-06-02 10:00" in mia_mail.get_content()
    robot = [body["markdown"]["content"] for _, body in webhook_server.requests]
    assert sorted(text.splitlines()[0] for text in robot) == [
        "**Risk jump: Bolt Ltd (b1) now 60%**",
        "**Your day 2024-06-03: 1 tasks due, 0 new high-risk customers**",
    ]
    assert smtp_server.to("cy@example.com") == []
    # the scores seen are now the starting point of the next check
    alerted = dict(db.execute(select(Customer.id, Customer.alerted_p_churn)).all())
    assert alerted["b1"] == 0.6 and alerted["b4"] == 0.5 and alerted["c1"] is None

    again = run_daily(db, settings, TODAY, now=NOW + timedelta(hours=1))
    assert again["digests_queued"] == again["risk_alerts_queued"] == 0
    assert again["escalations_queued"] == again["sent"] == 0
    assert len(smtp_server.messages) == 4 and len(webhook_server.requests) == 2


def test_the_next_day_lists_only_cases_opened_since_the_last_digest(
    db, book, smtp_server, webhook_server
):
    settings = _settings(smtp_server, webhook_server)
    run_daily(db, settings, TODAY, now=NOW)
    db.add(
        RiskCase(
            customer_id="a3",
            owner_id=book["ann"].id,
            stage="lost",
            opened_at=datetime(2024, 6, 4, 8),
        )
    )  # closed: not listed
    db.add(
        RiskCase(
            customer_id="a1",
            owner_id=book["ann"].id,
            stage="at_risk",
            opened_at=datetime(2024, 6, 4, 8),
        )
    )
    db.commit()
    run_daily(db, settings, TODAY + timedelta(days=1), now=NOW + timedelta(days=1))
    latest = smtp_server.to("ann@example.com")[-1]
    assert latest["Subject"] == "2024-06-04 工作摘要：3 项任务到期，1 位新的高风险客户"
    assert "- 甲公司（a1）：流失风险 40%" in latest.get_content().splitlines()
    assert (
        db.scalar(
            select(OutboxMessage.dedupe_key)
            .where(OutboxMessage.user_id == book["ann"].id)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        == f"digest:2024-06-04:{book['ann'].id}:email"
    )
