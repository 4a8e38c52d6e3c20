"""The daily notifications (每日通知): digests, risk-jump alerts and complaint escalations,
queued in the outbox and sent through each person's chosen channels.

:func:`run_daily` is the one entry point: ``churnguard refresh`` calls it after sync, and
``churnguard notify digest`` runs it by hand. Everything it queues has a dedupe key, so running
it again the same day sends nothing twice:

- a digest per person who owns customers (rep or manager) with something to tell
  (``digest:<day>:<user>:<channel>``, see :mod:`churnguard.workflow.services.digests`);
- a risk-jump alert to the owner when a core customer's ``p_churn`` rose by at least
  ``[notify] risk_jump`` since the previous check (``risk_alert:<customer>:<scored day>``). The
  first run only records where every score stands;
- an escalation to the manager of each complaint escalated by sync and still unanswered
  (``escalation:<complaint>``).

A person hears through ``users.notify_channels`` (chosen on the profile page); when they chose
nothing, by email if they have an address. Channels not configured in ``[notify]`` are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from churnguard.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from churnguard.workflow.channels import NotifySettings
from churnguard.workflow.models import Complaint, Customer, User, utcnow
from churnguard.workflow.services import digests, outbox


def notify_settings(settings: Any) -> NotifySettings:
    """``[notify]`` of workspace settings (anything with ``.section(name)``), or the object
    itself when it already is a :class:`NotifySettings`."""
    if isinstance(settings, NotifySettings):
        return settings
    return NotifySettings.from_section(settings.section("notify"))


def language_of(user: User) -> str:
    """The language ``user`` reads (``zh``/``en``; English when unset)."""
    return user.language if user.language in LANGUAGES else DEFAULT_LANGUAGE


def routes(user: User, settings: NotifySettings) -> list[tuple[str, str]]:
    """``(channel, recipient)`` pairs ``user`` hears through: their chosen channels that are
    configured (email only with an address); the robots post to their group.

    Examples
    --------
    >>> from churnguard.workflow.channels import EmailSettings
    >>> s = NotifySettings(email=EmailSettings(host="h", sender="s@x.cn"))
    >>> routes(User(username="ann", email="ann@x.cn"), s)
    [('email', 'ann@x.cn')]
    >>> routes(User(username="bo", notify_channels=["wecom", "email"]), s)
    []
    """
    chosen = user.notify_channels if user.notify_channels is not None else ["email"]
    found = []
    for channel in chosen:
        if channel not in settings.channels():
            continue
        if channel == "email":
            if user.email:
                found.append(("email", user.email))
        else:
            found.append((channel, f"{channel} group"))
    return found


def _addressed(
    user: User,
    settings: NotifySettings,
    *,
    kind: str,
    subject: str,
    body: str,
    key: Callable[[str], str],
    customer_id: str | None = None,
) -> list[dict[str, Any]]:
    """One outbox row per channel ``user`` hears through (:func:`routes`); ``key(channel)`` is
    each row's dedupe key."""
    return [
        {
            "kind": kind,
            "channel": channel,
            "recipient": recipient,
            "subject": subject,
            "body": body,
            "user_id": user.id,
            "customer_id": customer_id,
            "dedupe_key": key(channel),
        }
        for channel, recipient in routes(user, settings)
    ]


def _recipients(session: Session, today: date) -> list[User]:
    """Active people still with us on ``today`` who own at least one customer."""
    owners = select(Customer.owner_id).where(Customer.owner_id.is_not(None)).distinct()
    return list(
        session.scalars(
            select(User)
            .where(
                User.active, or_(User.left_on.is_(None), User.left_on > today), User.id.in_(owners)
            )
            .order_by(User.id)
        )
    )


def queue_digests(
    session: Session, settings: NotifySettings, *, today: date, moment: datetime, now: datetime
) -> dict[str, int]:
    """Queue today's digest for every recipient with something to tell."""
    users = _recipients(session, today)
    facts = digests.digest_facts(session, users, today=today, moment=moment)
    rows, empty = [], 0
    for user in users:  # people, not customers
        digest = facts[user.id]
        if digest.empty():
            empty += 1
            continue
        subject, body = digests.render_digest(digest, user, today=today, lang=language_of(user))
        rows += _addressed(
            user, settings, kind="digest", subject=subject, body=body,
            key=lambda channel, user_id=user.id: digests.digest_key(user_id, today, channel),
        )
    return {"digests_queued": outbox.queue_messages(session, rows, now=now), "digests_empty": empty}


def queue_risk_alerts(
    session: Session, settings: NotifySettings, *, today: date, now: datetime
) -> int:
    """Queue an alert to the owner of each core customer whose risk jumped, then record the
    current scores as the next check's starting point (one UPDATE)."""
    jumped = session.execute(
        select(
            Customer.id,
            Customer.name,
            Customer.p_churn,
            Customer.alerted_p_churn,
            Customer.scored_as_of,
            Customer.owner_id,
        ).where(
            Customer.is_core,
            Customer.owner_id.is_not(None),
            Customer.status != "churned",
            Customer.alerted_p_churn.is_not(None),
            Customer.p_churn - Customer.alerted_p_churn >= settings.risk_jump,
        )
    ).all()
    owners = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.id.in_({row.owner_id for row in jumped}), User.active)
        )
    }
    rows = []
    for row in jumped:  # customers whose risk jumped: a handful a day
        owner = owners.get(row.owner_id)
        if owner is None:
            continue
        lang = language_of(owner)
        values = {
            "name": row.name or row.id,
            "id": row.id,
            "old": digests.percent(row.alerted_p_churn),
            "new": digests.percent(row.p_churn),
            "as_of": (row.scored_as_of or today).isoformat(),
        }
        prefix = f"risk_alert:{row.id}:{values['as_of']}"
        rows += _addressed(
            owner, settings, kind="risk_alert", customer_id=row.id,
            subject=translate("notify.alert.subject", lang, **values),
            body=translate("notify.alert.body", lang, **values),
            key=lambda channel, prefix=prefix: f"{prefix}:{channel}",
        )
    queued = outbox.queue_messages(session, rows, now=now)
    session.execute(
        update(Customer)
        .where(
            Customer.p_churn.is_not(None),
            or_(Customer.alerted_p_churn.is_(None), Customer.alerted_p_churn != Customer.p_churn),
        )
        .values(alerted_p_churn=Customer.p_churn),
        execution_options={"synchronize_session": False},
    )
    return queued


def queue_escalations(session: Session, settings: NotifySettings, *, now: datetime) -> int:
    """Queue a message to the manager of each escalated complaint still unanswered."""
    rows = session.execute(
        select(Complaint, Customer.name)
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(
            Complaint.escalated_to_id.is_not(None),
            Complaint.status == "open",
            Complaint.responded_at.is_(None),
        )
    ).all()
    people = {
        u.id: u
        for u in session.scalars(
            select(User).where(
                User.id.in_(
                    {c.escalated_to_id for c, _ in rows}
                    | {c.owner_id for c, _ in rows if c.owner_id}
                )
            )
        )
    }
    messages = []
    for complaint, name in rows:  # escalated complaints: a handful
        manager = people.get(complaint.escalated_to_id)
        if manager is None or not manager.active:
            continue
        lang = language_of(manager)
        owner = people.get(complaint.owner_id) if complaint.owner_id else None
        values = {
            "id": complaint.id,
            "name": name or complaint.customer_id,
            "customer": complaint.customer_id,
            "severity": translate(f"severity.{complaint.severity}", lang),
            "owner": (owner.display_name or owner.username) if owner else "–",
            "due": f"{complaint.response_due_at:%Y-%m-%d %H:%M}",
        }
        messages += _addressed(
            manager, settings, kind="escalation", customer_id=complaint.customer_id,
            subject=translate("notify.escalation.subject", lang, **values),
            body=translate("notify.escalation.body", lang, **values),
            key=lambda channel, prefix=f"escalation:{complaint.id}": f"{prefix}:{channel}",
        )
    return outbox.queue_messages(session, messages, now=now)


def run_daily(
    session: Session, settings: Any, today: date, *, now: datetime | None = None, send: bool = True
) -> dict[str, int]:
    """Queue today's digests, risk-jump alerts and escalations, then (``send``) deliver what
    is due in the outbox. The entry point ``churnguard refresh`` calls after sync.

    Parameters
    ----------
    session
        An app-store session. With ``send`` it is committed (what was queued first, then each
        message's claim and result), so call it after the sync's work is complete.
    settings
        The workspace settings (their ``[notify]`` section is read) or a
        :class:`~churnguard.workflow.channels.NotifySettings`.
    today
        The day of the digests: the day the data describes (the sync's ``as_of``).
    now
        The clock for the outbox (default: the current UTC time); complaints count as overdue
        when their deadline passed before ``now`` or, for a past ``today``, before its end.

    Returns
    -------
    dict
        ``digests_queued``, ``digests_empty``, ``risk_alerts_queued``,
        ``escalations_queued``, and with ``send`` the outbox run's ``sent``, ``retrying``,
        ``failed``, ``interrupted``.
    """
    config = notify_settings(settings)
    now = now or utcnow()
    moment = min(now, datetime.combine(today + timedelta(days=1), time()))
    counts = queue_digests(session, config, today=today, moment=moment, now=now)
    counts["risk_alerts_queued"] = queue_risk_alerts(session, config, today=today, now=now)
    counts["escalations_queued"] = queue_escalations(session, config, now=now)
    session.flush()
    if send:
        counts.update(outbox.send_due(session, config, now=now).as_dict())
    return counts
