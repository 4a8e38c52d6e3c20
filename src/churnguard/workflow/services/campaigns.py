"""Win-back and retention campaigns with a random holdout, and their measured effect
(挽回成功率与对照组提升).

Examples
--------
>>> effect = uplift(30, 100, 10, 50)
>>> round(effect["uplift"], 3), round(effect["ci_low"], 3), round(effect["ci_high"], 3)
(0.1, -0.054, 0.23)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Integer, func, insert, select, true, update
from sqlalchemy.orm import Session

from churnguard.constraints import MAX_SEED, check_number
from churnguard.workflow.errors import InvalidInputError, NotFoundError
from churnguard.workflow.models import Campaign, CampaignMember, Contact, User, utcnow
from churnguard.workflow.models.campaigns import CAMPAIGN_KINDS, OUTCOMES
from churnguard.workflow.services.frames import read_frame
from churnguard.workflow.services.loyalty import over_cap
from churnguard.workflow.settings import WorkflowPolicy

Z95 = 1.959963984540054


def create_campaign(session: Session, name: str, customer_ids: Iterable[str], *,
                    kind: str = "win_back", holdout_share: float = 0.2, seed: int = 0,
                    starts_on: date | None = None, ends_on: date | None = None,
                    by: User | None = None) -> Campaign:
    """Create a campaign and split its targets at random: ``round(n * holdout_share)`` go to
    the holdout (not contacted), the rest to treatment. The same seed gives the same split."""
    if kind not in CAMPAIGN_KINDS:
        raise InvalidInputError(f"campaign kind {kind!r} is not one of "
                                f"{', '.join(CAMPAIGN_KINDS)}.")
    if not 0 <= holdout_share < 1:
        raise InvalidInputError(f"holdout_share={holdout_share} must be in [0, 1).")
    seed = int(check_number(seed, name="seed", low=0, high=MAX_SEED))
    ids = sorted(set(customer_ids))
    if not ids:
        raise InvalidInputError(f"campaign {name!r} has no target customers.")
    campaign = Campaign(name=name, kind=kind, holdout_share=holdout_share, seed=seed,
                        starts_on=starts_on, ends_on=ends_on, status="running",
                        created_by_id=by.id if by else None)
    session.add(campaign)
    session.flush()
    order = np.random.default_rng(seed).permutation(len(ids))
    n_holdout = round(len(ids) * holdout_share)
    groups = np.where(np.argsort(order) < n_holdout, "holdout", "treatment")
    session.execute(insert(CampaignMember), [
        {"campaign_id": campaign.id, "customer_id": cid, "group": str(group),
         "outcome": "pending"} for cid, group in zip(ids, groups, strict=True)])
    return campaign


def contact_treatment(session: Session, campaign: Campaign, *, at: datetime | None = None,
                      policy: WorkflowPolicy = WorkflowPolicy(),
                      only: ColumnElement[bool] | None = None) -> dict[str, int]:
    """Mark the treatment group contacted, except customers at the contact-pressure cap (they
    are skipped with reason ``contact_cap``). Every touch is logged as a contact. ``only``
    narrows the members (a manager contacts their team's customers:
    ``scope.on_visible_customer(user, CampaignMember.customer_id)``)."""
    at = at or utcnow()
    members = session.execute(select(CampaignMember.id, CampaignMember.customer_id).where(
        CampaignMember.campaign_id == campaign.id, CampaignMember.group == "treatment",
        CampaignMember.contacted_at.is_(None), CampaignMember.skipped_reason.is_(None),
        true() if only is None else only)).all()
    capped = over_cap(session, [m.customer_id for m in members], at=at, policy=policy)
    touched = [m for m in members if m.customer_id not in capped]
    skipped = [m for m in members if m.customer_id in capped]
    if touched:
        session.execute(update(CampaignMember), [{"id": m.id, "contacted_at": at}
                                                 for m in touched])
        session.execute(insert(Contact), [
            {"customer_id": m.customer_id, "channel": "campaign", "source": "campaign",
             "source_id": m.id, "at": at} for m in touched])
    if skipped:
        session.execute(update(CampaignMember), [{"id": m.id, "skipped_reason": "contact_cap"}
                                                 for m in skipped])
    return {"contacted": len(touched), "skipped_contact_cap": len(skipped)}


def record_outcomes(session: Session, campaign: Campaign, outcomes: Mapping[str, str], *,
                    at: datetime | None = None) -> int:
    """Set each customer's outcome (``success``/``failure``/``pending``); returns how many."""
    bad = {o for o in outcomes.values() if o not in OUTCOMES}
    if bad:
        raise InvalidInputError(f"outcome(s) {', '.join(sorted(bad))} not one of "
                                f"{', '.join(OUTCOMES)}.")
    members = dict(session.execute(select(CampaignMember.customer_id, CampaignMember.id).where(
        CampaignMember.campaign_id == campaign.id, CampaignMember.customer_id.in_(
            list(outcomes)))).all())
    missing = set(outcomes) - set(members)
    if missing:
        raise NotFoundError(f"customer(s) {', '.join(sorted(missing)[:5])} are not targets of "
                            f"campaign {campaign.id}.")
    at = at or utcnow()
    session.execute(update(CampaignMember), [
        {"id": members[cid], "outcome": outcome, "outcome_at": at}
        for cid, outcome in outcomes.items()])
    return len(outcomes)


def outcomes_from_orders(ws: Any, session: Session, campaign: Campaign, *,
                         window_days: int = 90) -> int:
    """Outcomes from the warehouse's orders: ``success`` when the customer ordered within
    ``window_days`` after they were contacted (a contacted treatment member) or after the
    campaign start (the holdout, and members not contacted), else ``failure``. Returns how
    many outcomes were recorded."""
    if campaign.starts_on is None:
        raise InvalidInputError(f"campaign {campaign.id} has no start date to measure from.")
    start = datetime.combine(campaign.starts_on, datetime.min.time())
    members = read_frame(session, select(CampaignMember.customer_id, CampaignMember.contacted_at)
                         .where(CampaignMember.campaign_id == campaign.id))
    if members.empty:
        return 0
    members["start"] = pd.to_datetime(members["contacted_at"]).fillna(pd.Timestamp(start))
    members["end"] = members["start"] + pd.Timedelta(days=window_days)
    windows = ibis.memtable(pd.DataFrame({"member_id": members["customer_id"].astype(str),
                                          "start": members["start"], "end": members["end"]}))
    orders = ws.table("orders")
    orders = orders.filter(orders.order_date >= ibis.timestamp(str(members["start"].min())),
                           orders.order_date < ibis.timestamp(str(members["end"].max())))
    joined = orders.join(windows, orders.customer_id.cast("string") == windows.member_id)
    bought = joined.filter(joined.order_date >= joined.start, joined.order_date < joined.end)
    buyers = set(bought.select("member_id").distinct().to_pandas()["member_id"].astype(str))
    outcome = {cid: "success" if cid in buyers else "failure"
               for cid in members["customer_id"].astype(str)}
    at = datetime.combine(campaign.starts_on + timedelta(days=window_days), datetime.min.time())
    return record_outcomes(session, campaign, outcome, at=at)


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion.

    Examples
    --------
    >>> [round(x, 4) for x in wilson(30, 100)]
    [0.2189, 0.3958]
    """
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half, centre + half)


def uplift(treated_successes: int, treated: int, holdout_successes: int, holdout: int
           ) -> dict[str, float | None]:
    """Difference of success rates (treatment − holdout) with Newcombe's 95 % interval
    (hybrid Wilson score, method 10), which behaves well for small groups and rates near 0."""
    if treated == 0 or holdout == 0:
        return {"uplift": None, "ci_low": None, "ci_high": None}
    p1, p2 = treated_successes / treated, holdout_successes / holdout
    l1, u1 = wilson(treated_successes, treated)
    l2, u2 = wilson(holdout_successes, holdout)
    diff = p1 - p2
    low = diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return {"uplift": diff, "ci_low": low, "ci_high": high}


def campaign_effect(session: Session, campaign: Campaign) -> dict[str, Any]:
    """Targets, contacted, success rate (successes / targeted in treatment), holdout rate and
    the uplift with its 95 % interval. Pending outcomes count as not (yet) successful."""
    rows = session.execute(select(
        CampaignMember.group, func.count(),
        func.sum(func.cast(CampaignMember.outcome == "success", Integer)),
        func.sum(func.cast(CampaignMember.contacted_at.is_not(None), Integer)),
        func.sum(func.cast(CampaignMember.outcome == "pending", Integer)),
    ).where(CampaignMember.campaign_id == campaign.id).group_by(CampaignMember.group)).all()
    stats = {group: {"n": int(n), "success": int(s or 0), "contacted": int(c or 0),
                     "pending": int(p or 0)} for group, n, s, c, p in rows}
    treat = stats.get("treatment", {"n": 0, "success": 0, "contacted": 0, "pending": 0})
    hold = stats.get("holdout", {"n": 0, "success": 0, "contacted": 0, "pending": 0})
    return {"campaign_id": campaign.id, "name": campaign.name, "kind": campaign.kind,
            "targeted": treat["n"], "contacted": treat["contacted"],
            "successes": treat["success"], "holdout": hold["n"],
            "holdout_successes": hold["success"],
            "pending": treat["pending"] + hold["pending"],
            "success_rate": treat["success"] / treat["n"] if treat["n"] else None,
            "holdout_rate": hold["success"] / hold["n"] if hold["n"] else None,
            **uplift(treat["success"], treat["n"], hold["success"], hold["n"])}


def win_back_success_rate(session: Session, *, only: ColumnElement[bool] | None = None
                          ) -> float | None:
    """The win-back success rate KPI: successes / targeted over all win-back campaigns'
    treatment groups (挽回成功率); ``only`` narrows the targets (e.g. to a team's)."""
    n, s = session.execute(select(
        func.count(), func.sum(func.cast(CampaignMember.outcome == "success", Integer)),
    ).join(Campaign, Campaign.id == CampaignMember.campaign_id).where(
        Campaign.kind == "win_back", CampaignMember.group == "treatment",
        true() if only is None else only)).one()
    return (s or 0) / n if n else None
