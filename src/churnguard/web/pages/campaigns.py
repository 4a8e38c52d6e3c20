"""Campaigns: build a target list from a filter, draw a random holdout, launch, see the uplift."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import Select, func, select

from churnguard.web.deps import DbSession
from churnguard.web.pages.common import page_role, redirect, render
from churnguard.workflow.errors import InvalidInputError, NotFoundError
from churnguard.workflow.models import Campaign, CampaignMember, ChurnRecord, Customer, User
from churnguard.workflow.models.campaigns import CAMPAIGN_KINDS
from churnguard.workflow.services import scope
from churnguard.workflow.services.tasks import create_task

router = APIRouter()
Manager = Annotated[User, page_role("manager", "admin")]
MAX_TARGETS = 20_000
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Effect:
    """Success rates of the contacted and holdout groups and the uplift with a 95% interval."""

    treated: int
    treated_success: int
    holdout: int
    holdout_success: int

    @property
    def success_rate(self) -> float | None:
        return self.treated_success / self.treated if self.treated else None

    @property
    def holdout_rate(self) -> float | None:
        return self.holdout_success / self.holdout if self.holdout else None

    @property
    def uplift(self) -> float | None:
        if self.success_rate is None or self.holdout_rate is None:
            return None
        return self.success_rate - self.holdout_rate

    @property
    def interval(self) -> tuple[float, float] | None:
        """Wald 95% interval of the difference of the two success rates.

        Examples
        --------
        >>> low, high = Effect(100, 30, 100, 10).interval
        >>> round(low, 4), round(high, 4)
        (0.0909, 0.3091)
        """
        p1, p0 = self.success_rate, self.holdout_rate
        if p1 is None or p0 is None:
            return None
        se = math.sqrt(p1 * (1 - p1) / self.treated + p0 * (1 - p0) / self.holdout)
        return (p1 - p0 - Z95 * se, p1 - p0 + Z95 * se)


def campaign_effect(db: Any, campaign_id: int) -> Effect:
    """Counts per group and outcome of one campaign."""
    rows = db.execute(select(CampaignMember.group, CampaignMember.outcome, func.count())
                      .where(CampaignMember.campaign_id == campaign_id)
                      .group_by(CampaignMember.group, CampaignMember.outcome)).all()
    n = {"treatment": 0, "holdout": 0}
    won = {"treatment": 0, "holdout": 0}
    for group, outcome, count in rows:
        n[group] = n.get(group, 0) + count
        if outcome == "success":
            won[group] = won.get(group, 0) + count
    return Effect(n["treatment"], won["treatment"], n["holdout"], won["holdout"])


def target_query(user: User, *, status: str = "", tier: str = "", segment: str = "",
                 reason: str = "", core_only: bool = False) -> Select[Any]:
    """The visible customers matching the campaign filter."""
    query = scope.visible_customers(user)
    if status:
        query = query.where(Customer.status == status)
    if tier:
        query = query.where(Customer.tier == tier)
    if segment:
        query = query.where(Customer.segment == segment)
    if core_only:
        query = query.where(Customer.is_core.is_(True))
    if reason:
        archived = select(ChurnRecord.customer_id).where(ChurnRecord.reason == reason)
        query = query.where(Customer.id.in_(archived))
    return query


@router.get("/campaigns")
def campaigns_page(request: Request, user: Manager, db: DbSession) -> Response:
    """Campaigns with their results, and the form to build a new one."""
    campaigns = db.scalars(select(Campaign).order_by(Campaign.created_at.desc()).limit(100)).all()
    effects = {c.id: campaign_effect(db, c.id) for c in campaigns}
    segments = [s for s in db.scalars(select(Customer.segment).distinct()) if s]
    tiers = [s for s in db.scalars(select(Customer.tier).distinct()) if s]
    from churnguard.web.pages.common import language
    from churnguard.web.pages.customer import reason_choices

    return render(request, "campaigns.html", user, campaigns=campaigns, effects=effects,
                  segments=sorted(segments), tiers=sorted(tiers), kinds=CAMPAIGN_KINDS,
                  reasons=reason_choices(language(request)))


@router.get("/campaigns/preview")
def preview(request: Request, user: Manager, db: DbSession, status: str = "", tier: str = "",
            segment: str = "", reason: str = "", core_only: bool = False) -> Response:
    """How many customers the filter selects (an htmx fragment)."""
    query = target_query(user, status=status, tier=tier, segment=segment, reason=reason,
                         core_only=core_only)
    count = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    return render(request, "_campaign_preview.html", user, count=count)


@router.post("/campaigns")
def launch(user: Manager, db: DbSession, name: Annotated[str, Form()],
           kind: Annotated[str, Form()] = "win_back",
           holdout_share: Annotated[float, Form()] = 0.2,
           status: Annotated[str, Form()] = "", tier: Annotated[str, Form()] = "",
           segment: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
           core_only: Annotated[bool, Form()] = False,
           seed: Annotated[int, Form()] = 0) -> Response:
    """Create the campaign, draw the holdout at random, and give owners a task per target."""
    campaign = launch_campaign(db, user, name=name, kind=kind, holdout_share=holdout_share,
                               seed=seed, status=status, tier=tier, segment=segment,
                               reason=reason, core_only=core_only)
    return redirect(f"/campaigns/{campaign.id}")


def launch_campaign(db: Any, user: User, *, name: str, kind: str, holdout_share: float,
                    seed: int = 0, **filters: Any) -> Campaign:
    """Create and launch a campaign on the customers matching ``filters``."""
    if not name.strip():
        raise InvalidInputError("give the campaign a name.")
    if kind not in CAMPAIGN_KINDS:
        raise InvalidInputError(f"campaign kind {kind!r} is not one of "
                                f"{', '.join(CAMPAIGN_KINDS)}.")
    if not 0 <= holdout_share < 1:
        raise InvalidInputError(f"holdout share must be in [0, 1); got {holdout_share}.")
    ids = list(db.scalars(target_query(user, **filters).with_only_columns(Customer.id)
                          .order_by(Customer.id).limit(MAX_TARGETS + 1)))
    if not ids:
        raise InvalidInputError("the filter selects no customers; widen it and try again.")
    if len(ids) > MAX_TARGETS:
        raise InvalidInputError(f"the filter selects more than {MAX_TARGETS:,} customers; "
                                f"narrow it.")
    campaign = Campaign(name=name.strip(), kind=kind, status="running",
                        holdout_share=holdout_share, seed=seed, starts_on=date.today(),
                        created_by_id=user.id)
    db.add(campaign)
    db.flush()
    holdout = np.random.default_rng(seed).random(len(ids)) < holdout_share
    db.add_all([CampaignMember(campaign_id=campaign.id, customer_id=cid,
                               group="holdout" if out else "treatment", outcome="pending")
                for cid, out in zip(ids, holdout, strict=True)])
    treated = [cid for cid, out in zip(ids, holdout, strict=True) if not out]
    for customer in db.scalars(select(Customer).where(Customer.id.in_(treated))):
        create_task(db, customer, kind="win_back" if kind == "win_back" else "call",
                    title=f"{campaign.name}: {customer.name or customer.id}",
                    due_date=date.today(), source_key=f"campaign:{campaign.id}:{customer.id}")
    db.flush()
    return campaign


@router.get("/campaigns/{campaign_id}")
def campaign_detail(request: Request, campaign_id: int, user: Manager,
                    db: DbSession) -> Response:
    """One campaign: its groups, outcomes and uplift."""
    campaign = db.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFoundError(f"campaign {campaign_id} does not exist.")
    members = db.scalars(select(CampaignMember).where(CampaignMember.campaign_id == campaign_id)
                         .order_by(CampaignMember.group, CampaignMember.customer_id)
                         .limit(200)).all()
    return render(request, "campaign.html", user, campaign=campaign, members=members,
                  effect=campaign_effect(db, campaign_id))
