"""Campaigns that reach customers: a task per target for its owner spread over days, a message
per target in their language through the outbox (never twice), opted-out and capped customers
never contacted, safe templates, and outcomes from orders after contact."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select, update

from churnguard.workflow.channels import EmailSettings, NotifySettings
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import AuditEntry, Campaign, CampaignMember, Contact, Task
from churnguard.workflow.services.campaign_reach import launch, set_reach
from churnguard.workflow.services.campaigns import (
    campaign_effect,
    create_campaign,
    outcomes_from_orders,
)
from churnguard.workflow.services.outbox import send_due
from tests.factories import orders_frame
from tests.workflow.builders import customer, team

AT = datetime(2024, 6, 3, 9, 0)
TEMPLATES = {
    "zh": {"subject": "{name}，给您的专属优惠", "body": "{name}您好：{offer}。{owner} 敬上"},
    "en": {"subject": "An offer for {name}", "body": "Dear {name}: {offer}. {owner}"},
}


@pytest.fixture
def targets(db):
    users = team(db)
    ann, bo = users["ann"], users["bo"]
    ann.display_name = "安"
    customer(
        db, "c1", ann, name="甲公司", email="c1@example.cn", language="zh", value_if_retained=500.0
    )
    customer(
        db, "c2", ann, name="Beta", email="c2@example.com", language="en", value_if_retained=300.0
    )
    customer(db, "c3", ann, name="Gamma", value_if_retained=100.0)
    customer(db, "c4", bo, name="Opted", email="c4@example.com", marketing_opt_out=True)
    customer(db, "c5", bo, name="Capped", email="c5@example.com")
    customer(db, "c6", None, name="Orphan", email="c6@example.com", value_if_retained=50.0)
    db.add(
        Contact(
            customer_id="c5", channel="call", source="task", source_id=1, at=AT - timedelta(days=1)
        )
    )
    db.flush()
    return users


def _campaign(db, **reach) -> Campaign:
    campaign = create_campaign(
        db, "夏季挽回", [f"c{i}" for i in range(1, 7)], holdout_share=0.0, starts_on=AT.date()
    )
    return set_reach(campaign, **reach)


def test_launch_gives_owners_spread_tasks_and_customers_mail_in_their_language(
    db, targets, smtp_server
):
    campaign = _campaign(
        db, create_tasks=True, channel="email", offer="满1000减100", templates=TEMPLATES
    )
    counts = launch(db, campaign, at=AT, tasks_per_day=1)
    assert counts == {
        "contacted": 4,
        "tasks": 3,
        "messages": 3,
        "skipped_opted_out": 1,
        "skipped_contact_cap": 1,
        "skipped_no_address": 0,
    }
    tasks = db.execute(
        select(Task.customer_id, Task.owner_id, Task.due_date, Task.title).order_by(Task.due_date)
    ).all()
    ann = targets["ann"].id
    # most valuable first, one a day from the day after the launch
    assert [(t.customer_id, t.owner_id, t.due_date) for t in tasks] == [
        ("c1", ann, date(2024, 6, 4)),
        ("c2", ann, date(2024, 6, 5)),
        ("c3", ann, date(2024, 6, 6)),
    ]
    assert tasks[0].title == "Campaign 夏季挽回: contact 甲公司 (offer: 满1000减100)"
    assert db.scalar(select(AuditEntry).where(AuditEntry.entity == "tasks")) is not None
    members = {m.customer_id: m for m in db.scalars(select(CampaignMember))}
    assert {c: m.skipped_reason for c, m in members.items() if m.skipped_reason} == {
        "c4": "opted_out",
        "c5": "contact_cap",
    }
    assert members["c3"].task_id is not None and members["c3"].message_id is None
    assert members["c6"].task_id is None and members["c6"].message_id is not None
    settings = NotifySettings(
        email=EmailSettings(host="127.0.0.1", port=smtp_server.port, sender="cg@example.com")
    )
    assert send_due(db, settings, now=AT).sent == 3
    [zh] = smtp_server.to("c1@example.cn")
    assert zh["Subject"] == "甲公司，给您的专属优惠"
    assert zh.get_content().strip() == "甲公司您好：满1000减100。安 敬上"
    assert smtp_server.to("c2@example.com")[0]["Subject"] == "An offer for Beta"
    # no language: the default (English) template; no owner: no name
    assert smtp_server.to("c6@example.com")[0].get_content().strip() == "Dear Orphan: 满1000减100."
    assert smtp_server.to("c4@example.com") == smtp_server.to("c5@example.com") == []
    again = launch(db, campaign, at=AT + timedelta(hours=1))
    assert again["contacted"] == again["tasks"] == again["messages"] == 0
    assert send_due(db, settings, now=AT + timedelta(hours=1)).sent == 0
    assert len(smtp_server.messages) == 3
    assert db.scalar(select(Task.id).where(Task.customer_id == "c4")) is None
    assert campaign_effect(db, campaign)["contacted"] == 4


def test_a_message_only_campaign_skips_customers_without_an_address(db, targets):
    campaign = _campaign(
        db, create_tasks=False, channel="email", offer="", templates={"en": TEMPLATES["en"]}
    )
    counts = launch(db, campaign, at=AT)
    assert counts["messages"] == 3 and counts["tasks"] == 0
    assert counts["skipped_no_address"] == 1  # c3
    assert db.scalar(select(Task.id)) is None


@pytest.mark.parametrize(
    ("reach", "match"),
    [
        (
            {"templates": {"en": {"subject": "Hi {nmae}", "body": "b"}}},
            r"template en subject: unknown field \{nmae\}; use \{name\}, \{offer\}, \{owner\}",
        ),
        (
            {"templates": {"en": {"subject": "s", "body": "{name.__class__}"}}},
            r"unknown field \{name.__class__\}",
        ),
        (
            {"templates": {"en": {"subject": "s", "body": "{name:>99999}"}}},
            r"unknown field \{name:>99999\}",
        ),
        ({"templates": {"en": {"subject": "s", "body": "50% {off"}}}, r"write a brace as \{\{"),
        ({"templates": {"fr": {"subject": "s", "body": "b"}}}, "language 'fr' is not one of"),
        ({"templates": {"en": {"subject": "s", "body": ""}}}, "needs a subject and a body"),
        ({"templates": {}}, "needs a template"),
        ({"channel": "wecom"}, "post to staff groups"),
        ({"channel": None, "create_tasks": False}, "choose at least one"),
    ],
)
def test_bad_reach_settings_are_refused_before_launch(db, targets, reach, match):
    campaign = create_campaign(db, "x", ["c1"], holdout_share=0.0)
    settings = {"create_tasks": True, "channel": "email", "templates": TEMPLATES, **reach}
    with pytest.raises(InvalidInputError, match=match):
        set_reach(campaign, **settings)


def test_outcomes_count_orders_after_contact_and_the_holdout_from_the_start(db, targets, workspace):
    campaign = create_campaign(
        db, "w", ["c1", "c2", "c3", "c6"], holdout_share=0.0, starts_on=date(2024, 6, 1)
    )
    db.execute(
        update(CampaignMember).where(CampaignMember.customer_id == "c6").values(group="holdout")
    )
    set_reach(campaign, create_tasks=True)
    launch(db, campaign, at=AT)  # contacts c1, c2, c3 on 2024-06-03
    workspace.load("customers", pd.DataFrame({"customer_id": ["c1", "c2", "c3", "c6"]}))
    workspace.load(
        "orders",
        orders_frame(
            [
                ("c1", "2024-06-10", 80.0),  # after contact: success
                ("c2", "2024-06-02", 50.0),  # before contact: not the campaign's doing
                ("c3", "2024-09-05", 10.0),  # after the 90-day window (ends 2024-09-01 09:00)
                ("c6", "2024-06-02", 20.0),  # holdout, after the start: success
            ]
        ),
    )
    assert outcomes_from_orders(workspace, db, campaign, window_days=90) == 4
    outcomes = dict(db.execute(select(CampaignMember.customer_id, CampaignMember.outcome)).all())
    assert outcomes == {"c1": "success", "c2": "failure", "c3": "failure", "c6": "success"}
    effect = campaign_effect(db, campaign)
    assert (effect["successes"], effect["targeted"], effect["holdout_successes"]) == (1, 3, 1)
    assert effect["uplift"] == pytest.approx(1 / 3 - 1)
