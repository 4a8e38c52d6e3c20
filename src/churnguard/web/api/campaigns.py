"""``/api/campaigns``: win-back and retention campaigns with holdouts (managers and admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import select

from churnguard.constraints import Day, RecordId, Seed, Share, ShortText
from churnguard.web.api.common import Page, Paging, paginate, paging
from churnguard.web.deps import DbSession, Manager
from churnguard.workflow.errors import PermissionDeniedError
from churnguard.workflow.models import Campaign, CampaignMember, ChurnRecord, Customer
from churnguard.workflow.services import campaign_reach, scope
from churnguard.workflow.services import campaigns as service
from churnguard.workflow.settings import WorkflowPolicy

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


class CampaignCreate(BaseModel):
    """Targets: ``customer_ids``, or ``archive_valuable=true`` for the valuable churned
    customers in the caller's scope (win-back)."""

    name: ShortText
    kind: ShortText = "win_back"
    customer_ids: list[str] = []
    archive_valuable: bool = False
    holdout_share: Share = 0.2
    seed: Seed = 0
    starts_on: Day | None = None
    ends_on: Day | None = None
    # how POST /campaigns/{id}/contact reaches the treatment group (tasks and/or email)
    create_tasks: bool = True
    channel: ShortText | None = None
    offer: ShortText | None = None
    templates: dict[ShortText, dict[ShortText, str]] | None = None


class Outcomes(BaseModel):
    outcomes: dict[str, str]


@router.get("")
def list_campaigns(user: Manager, db: DbSession, paging: Annotated[Paging, Depends(paging)]
                   ) -> Page[dict[str, Any]]:
    """Campaigns the caller's team made or that target their customers, newest first, with
    their measured effect."""
    query = select(Campaign).where(scope.campaign_clause(user)).order_by(Campaign.id.desc())
    rows, total = paginate(db, query, paging)
    return Page[dict[str, Any]](items=[service.campaign_effect(db, c) for c in rows],
                                total=total, page=paging.page, page_size=paging.page_size)


@router.post("", status_code=201)
def create(body: CampaignCreate, user: Manager, db: DbSession) -> dict[str, Any]:
    """Create a campaign; targets outside the caller's scope are refused (403)."""
    ids = list(body.customer_ids)
    if body.archive_valuable:
        ids += db.scalars(select(ChurnRecord.customer_id).join(
            Customer, Customer.id == ChurnRecord.customer_id).where(
            ChurnRecord.valuable, ChurnRecord.won_back_on.is_(None),
            scope.customer_clause(user))).all()
    for customer_id in set(body.customer_ids):
        scope.get_customer(db, user, customer_id)
    campaign = service.create_campaign(db, body.name, ids, kind=body.kind,
                                       holdout_share=body.holdout_share, seed=body.seed,
                                       starts_on=body.starts_on, ends_on=body.ends_on, by=user)
    campaign_reach.set_reach(campaign, create_tasks=body.create_tasks, channel=body.channel,
                             offer=body.offer, templates=body.templates)
    return service.campaign_effect(db, campaign)


@router.get("/{campaign_id}")
def get_campaign(campaign_id: RecordId, user: Manager, db: DbSession) -> dict[str, Any]:
    """Success rate, holdout rate and uplift with its 95 % interval."""
    return service.campaign_effect(db, scope.get_campaign(db, user, campaign_id))


@router.post("/{campaign_id}/contact")
def contact(campaign_id: RecordId, user: Manager, db: DbSession, request: Request
            ) -> dict[str, int]:
    """Reach the treatment group as the campaign says (tasks for owners and/or email through
    the outbox); customers at the contact cap, opted out of marketing or (email only) without
    an address are skipped. A manager contacts the targets in their team."""
    policy = WorkflowPolicy.of(request.app.state.workspace)
    return campaign_reach.launch(
        db, scope.get_campaign(db, user, campaign_id), policy=policy,
        only=scope.on_visible_customer(user, CampaignMember.customer_id))


@router.post("/{campaign_id}/outcomes")
def outcomes(campaign_id: RecordId, body: Outcomes, user: Manager, db: DbSession
             ) -> dict[str, Any]:
    """Record outcomes ``{customer_id: success|failure|pending}`` of customers in the
    caller's team (403 for others)."""
    campaign = scope.get_campaign(db, user, campaign_id)
    hidden = scope.hidden_customers(db, user, list(body.outcomes))
    if hidden:
        raise PermissionDeniedError(f"you may not record outcomes for customer(s) "
                                    f"{', '.join(hidden[:5])}: they are not in your team.")
    service.record_outcomes(db, campaign, body.outcomes)
    return service.campaign_effect(db, campaign)
