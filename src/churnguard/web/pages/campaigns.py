"""Campaigns: build a target list from a filter, draw a random holdout, launch, see the uplift."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import Select, func, select

from churnguard.constraints import RecordId, Seed, Share
from churnguard.web.deps import DbSession
from churnguard.web.pages.common import page_role, redirect, render, workspace
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import Campaign, CampaignMember, ChurnRecord, Customer, User
from churnguard.workflow.models.campaigns import CAMPAIGN_KINDS
from churnguard.workflow.services import campaign_reach, scope
from churnguard.workflow.services import campaigns as campaign_service
from churnguard.workflow.settings import WorkflowPolicy

router = APIRouter()
Manager = Annotated[User, page_role("manager", "admin")]
MAX_TARGETS = 20_000


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
    campaigns = db.scalars(select(Campaign).where(scope.campaign_clause(user))
                           .order_by(Campaign.created_at.desc()).limit(100)).all()
    effects = {c.id: campaign_service.campaign_effect(db, c) for c in campaigns}
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
def launch(request: Request, user: Manager, db: DbSession, name: Annotated[str, Form()],
           kind: Annotated[str, Form()] = "win_back",
           holdout_share: Annotated[Share, Form()] = 0.2,
           status: Annotated[str, Form()] = "", tier: Annotated[str, Form()] = "",
           segment: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
           core_only: Annotated[bool, Form()] = False,
           seed: Annotated[Seed, Form()] = 0,
           create_tasks: Annotated[bool, Form()] = False,
           channel: Annotated[str, Form(max_length=20)] = "",
           offer: Annotated[str, Form(max_length=500)] = "",
           subject_zh: Annotated[str, Form(max_length=300)] = "",
           body_zh: Annotated[str, Form(max_length=5000)] = "",
           subject_en: Annotated[str, Form(max_length=300)] = "",
           body_en: Annotated[str, Form(max_length=5000)] = "") -> Response:
    """Create the campaign, draw the holdout at random, and reach the treatment group: a task
    per target for its owner and/or a mail from the template in the customer's language."""
    reach = {"create_tasks": create_tasks, "channel": channel or None, "offer": offer,
             "templates": {"zh": {"subject": subject_zh, "body": body_zh},
                           "en": {"subject": subject_en, "body": body_en}}}
    campaign = launch_campaign(db, user, name=name, kind=kind, holdout_share=holdout_share,
                               seed=seed, reach=reach, policy=WorkflowPolicy.of(
                                   workspace(request)), status=status, tier=tier,
                               segment=segment, reason=reason, core_only=core_only)
    return redirect(f"/campaigns/{campaign.id}")


def launch_campaign(db: Any, user: User, *, name: str, kind: str, holdout_share: float,
                    seed: int = 0, reach: dict[str, Any] | None = None,
                    policy: WorkflowPolicy | None = None, **filters: Any) -> Campaign:
    """Create a campaign on the customers matching ``filters``, draw its holdout and reach
    the treatment group (within the contact-pressure cap, never opted-out customers); without
    ``reach``, a task per target for its owner."""
    if not name.strip():
        raise InvalidInputError("give the campaign a name.")
    ids = list(db.scalars(target_query(user, **filters).with_only_columns(Customer.id)
                          .limit(MAX_TARGETS + 1)))
    if not ids:
        raise InvalidInputError("the filter selects no customers; widen it and try again.")
    if len(ids) > MAX_TARGETS:
        raise InvalidInputError(f"the filter selects more than {MAX_TARGETS:,} customers; "
                                f"narrow it.")
    campaign = campaign_service.create_campaign(
        db, name.strip(), ids, kind=kind, holdout_share=holdout_share, seed=seed,
        starts_on=date.today(), by=user)
    campaign_reach.set_reach(campaign, **(reach or {"create_tasks": True}))
    campaign_reach.launch(db, campaign, policy=policy or WorkflowPolicy())
    return campaign


@router.get("/campaigns/{campaign_id}")
def campaign_detail(request: Request, campaign_id: RecordId, user: Manager,
                    db: DbSession) -> Response:
    """One campaign: its groups, outcomes and uplift (the targets in the caller's team)."""
    campaign = scope.get_campaign(db, user, campaign_id)
    members = db.scalars(select(CampaignMember).where(
        CampaignMember.campaign_id == campaign_id,
        scope.on_visible_customer(user, CampaignMember.customer_id))
                         .order_by(CampaignMember.group, CampaignMember.customer_id)
                         .limit(200)).all()
    return render(request, "campaign.html", user, campaign=campaign, members=members,
                  effect=campaign_service.campaign_effect(db, campaign))
