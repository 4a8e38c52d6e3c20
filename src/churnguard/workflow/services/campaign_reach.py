"""Campaigns that reach customers (触达): launching gives each owner a task per targeted
customer and/or mails each customer a message from a template in their language.

A template is text with the fields ``{name}`` (the customer), ``{offer}`` (the campaign's offer)
and ``{owner}`` (the account owner); anything else in braces is refused when the campaign is
set up, so a launch never fails half-way on a typo. ``{{`` and ``}}`` write a brace.

Who is contacted: the treatment group only (never the holdout), never a customer who opted out
of marketing (skipped ``opted_out``), nobody over the contact cap (``contact_cap``), and for a
message-only campaign nobody without an address (``no_address``). Messages go through the
outbox (dedupe key ``campaign:<id>:<customer>``: never twice).

Examples
--------
>>> check_template("{name}，您好！{offer} —— {owner}", where="zh body")
'{name}，您好！{offer} —— {owner}'
>>> render("Hi {name}, {offer}", {"name": "Ann", "offer": "10% off", "owner": "Bo"})
'Hi Ann, 10% off'
>>> check_template("Hi {nmae}", where="en body")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
churnguard.workflow.errors.InvalidInputError: template en body: unknown field {nmae}; ...
"""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.orm import Session

from churnguard.i18n import DEFAULT_LANGUAGE, LANGUAGES
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import (
    Campaign,
    CampaignMember,
    Contact,
    Customer,
    OutboxMessage,
    User,
    utcnow,
)
from churnguard.workflow.services import outbox
from churnguard.workflow.services.frames import plain, read_frame
from churnguard.workflow.services.loyalty import over_cap
from churnguard.workflow.services.outreach import insert_tasks, spread_due_dates
from churnguard.workflow.settings import WorkflowPolicy

FIELDS = ("name", "offer", "owner")
MESSAGE_CHANNELS = ("email",)  # the group robots post to staff groups, not to customers
MAX_TEMPLATE = 5_000


def check_template(text: str, *, where: str) -> str:
    """``text`` when it only uses :data:`FIELDS` as plain ``{field}``; else a clear error."""
    if len(text) > MAX_TEMPLATE:
        raise InvalidInputError(f"template {where} is longer than {MAX_TEMPLATE:,} characters.")
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise InvalidInputError(
            f"template {where}: {exc}; write a brace as {{{{ or }}}}."
        ) from None
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in FIELDS or spec or conversion:
            shown = (
                "{"
                + field
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            raise InvalidInputError(
                f"template {where}: unknown field {shown}; use "
                f"{', '.join('{' + f + '}' for f in FIELDS)}."
            )
    return text


def render(text: str, values: dict[str, str]) -> str:
    """Fill a checked template (only plain :data:`FIELDS`, so nothing else is evaluated)."""
    return text.format(**{f: values.get(f, "") for f in FIELDS})


def set_reach(
    campaign: Campaign,
    *,
    create_tasks: bool,
    channel: str | None = None,
    offer: str | None = None,
    templates: dict[str, dict[str, str]] | None = None,
) -> Campaign:
    """Say how a campaign reaches its customers: tasks for owners, and/or a message through
    ``channel`` from ``templates`` (``{lang: {"subject": …, "body": …}}``, zh and/or en)."""
    if channel is not None and channel not in MESSAGE_CHANNELS:
        raise InvalidInputError(
            f"channel {channel!r}: customers are reached by "
            f"{', '.join(MESSAGE_CHANNELS)} (the chat robots post to staff "
            f"groups)."
        )
    cleaned: dict[str, dict[str, str]] = {}
    for lang, parts in (templates or {}).items():
        if lang not in LANGUAGES:
            raise InvalidInputError(
                f"template language {lang!r} is not one of {', '.join(LANGUAGES)}."
            )
        subject, body = (parts.get("subject") or "").strip(), (parts.get("body") or "").strip()
        if subject or body:
            if not (subject and body):
                raise InvalidInputError(f"the {lang} template needs a subject and a body.")
            cleaned[lang] = {
                "subject": check_template(subject, where=f"{lang} subject"),
                "body": check_template(body, where=f"{lang} body"),
            }
    if channel and not cleaned:
        raise InvalidInputError(
            "a campaign that sends messages needs a template (subject "
            "and body) in at least one language."
        )
    if not create_tasks and not channel:
        raise InvalidInputError(
            "a campaign reaches customers by tasks for their owners, by "
            "a message, or both: choose at least one."
        )
    campaign.create_tasks, campaign.channel = create_tasks, channel
    campaign.offer = (offer or "").strip()[:500] or None
    campaign.templates = cleaned or None
    return campaign


def launch(
    session: Session,
    campaign: Campaign,
    *,
    at: datetime | None = None,
    policy: WorkflowPolicy = WorkflowPolicy(),
    tasks_per_day: int = 20,
    only: ColumnElement[bool] | None = None,
) -> dict[str, int]:
    """Contact the treatment group as the campaign says (see the module docstring); returns
    ``contacted``, ``tasks``, ``messages`` and the ``skipped_*`` counts. Running it again
    only reaches members not yet contacted or skipped."""
    at = at or utcnow()
    members = read_frame(
        session,
        select(
            CampaignMember.id,
            CampaignMember.customer_id,
            Customer.name,
            Customer.email,
            Customer.language,
            Customer.owner_id,
            Customer.marketing_opt_out,
            Customer.value_if_retained,
            User.display_name,
            User.username,
        )
        .join(Customer, Customer.id == CampaignMember.customer_id)
        .outerjoin(User, User.id == Customer.owner_id)
        .where(
            CampaignMember.campaign_id == campaign.id,
            CampaignMember.group == "treatment",
            CampaignMember.contacted_at.is_(None),
            CampaignMember.skipped_reason.is_(None),
            )
        .order_by(Customer.value_if_retained.desc().nulls_last(), Customer.id),
    )
    if only is not None:  # a separate query: the clause's subquery would correlate above
        allowed = set(session.scalars(select(CampaignMember.id).where(
            CampaignMember.campaign_id == campaign.id, only)))
        members = members[members["id"].isin(allowed)].reset_index(drop=True)
    capped = over_cap(session, members["customer_id"].tolist(), at=at, policy=policy)
    reason = pd.Series(None, index=members.index, dtype=object)
    reason[members["customer_id"].isin(capped)] = "contact_cap"
    reason[members["marketing_opt_out"].astype(bool)] = "opted_out"
    if campaign.channel and not campaign.create_tasks:  # email only: no address, no contact
        reason[reason.isna() & members["email"].isna()] = "no_address"
    skipped, reach = members[reason.notna()], members[reason.isna()].copy()
    if not skipped.empty:
        session.execute(
            update(CampaignMember),
            [
                {"id": int(i), "skipped_reason": r}
                for i, r in zip(skipped["id"], reason[reason.notna()], strict=True)
            ],
        )
    counts = {
        "contacted": len(reach),
        "tasks": 0,
        "messages": 0,
        **{
            f"skipped_{r}": int((reason == r).sum())
            for r in ("opted_out", "contact_cap", "no_address")
        },
    }
    if reach.empty:
        return counts
    reach["task_id"] = None
    reach["message_id"] = None
    if campaign.create_tasks:
        counts["tasks"] = _tasks(session, campaign, reach, at.date(), tasks_per_day)
    if campaign.channel:
        counts["messages"] = _messages(session, campaign, reach, at)
    session.execute(
        update(CampaignMember),
        [
            {
                "id": int(r.id),
                "contacted_at": at,
                "task_id": plain(r.task_id),
                "message_id": plain(r.message_id),
            }
            for r in reach.itertuples()
        ],
    )
    session.execute(
        insert(Contact),
        [
            {
                "customer_id": cid,
                "channel": campaign.channel or "task",
                "source": "campaign",
                "source_id": int(mid),
                "at": at,
            }
            for cid, mid in zip(reach["customer_id"], reach["id"], strict=True)
        ],
    )
    campaign.launched_at = campaign.launched_at or at
    return counts


def _tasks(
    session: Session, campaign: Campaign, reach: pd.DataFrame, start: date, per_day: int
) -> int:
    owned = reach[reach["owner_id"].notna()]
    tasks = pd.DataFrame(
        {
            "customer_id": owned["customer_id"],
            "owner_id": owned["owner_id"],
            "due_date": spread_due_dates(
                owned["owner_id"], start=start + timedelta(days=1), per_day=per_day
            ),
            "source_key": f"campaign:{campaign.id}:" + owned["customer_id"],
            "title_params": [
                {"campaign": campaign.name, "name": name or cid, "offer": campaign.offer or "–"}
                for cid, name in zip(owned["customer_id"], owned["name"], strict=True)
            ],
        }
    )
    ids = insert_tasks(
        session,
        tasks,
        kind="win_back" if campaign.kind == "win_back" else "call",
        title_key="tasktitle.campaign",
        signal=f"campaign:{campaign.id}",
    )
    reach.loc[ids.index, "task_id"] = ids.astype(object)
    return len(ids)


def _messages(session: Session, campaign: Campaign, reach: pd.DataFrame, at: datetime) -> int:
    templates = campaign.templates or {}
    fallback = DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in templates else next(iter(templates))
    mailable = reach[reach["email"].notna()]
    rows = []
    for r in mailable.itertuples():  # one message per customer: the rendering is the work
        lang = r.language if r.language in templates else fallback
        values = {
            "name": r.name or r.customer_id,
            "offer": campaign.offer or "",
            "owner": r.display_name or r.username or "",
        }
        rows.append(
            {
                "kind": "campaign",
                "channel": campaign.channel,
                "recipient": r.email,
                "subject": render(templates[lang]["subject"], values),
                "body": render(templates[lang]["body"], values),
                "customer_id": r.customer_id,
                "dedupe_key": f"campaign:{campaign.id}:{r.customer_id}",
            }
        )
    outbox.queue_messages(session, rows, now=at)
    ids = dict(
        session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.id).where(
                OutboxMessage.dedupe_key.like(f"campaign:{campaign.id}:%")
            )
        )
        .tuples()
        .all()
    )
    keys = f"campaign:{campaign.id}:" + mailable["customer_id"]
    reach.loc[mailable.index, "message_id"] = keys.map(ids).astype(object)
    return len(rows)
