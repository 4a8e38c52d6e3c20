"""Issue 13, medium 5: a manager acts only within their team, wherever a record has an owner.

The world: mia manages ann and bo (customers ``c_ann``, ``a_ann``, ``c_bo``); max manages cy
(``c_cy``). The world's campaign targets ``a_ann`` and ``c_ann``; its improvement links
``c_ann``, who complained about delivery.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from churnguard.workflow.models import CampaignMember, Task
from churnguard.workflow.services import campaigns
from tests.web.api_client import fresh_world_app


@pytest.fixture
def world_app(tmp_path):
    return fresh_world_app(tmp_path)


def _mixed_campaign(world_app) -> int:
    """A campaign an admin made over both teams' customers (no holdout)."""
    with world_app.app.state.sessionmaker() as db:
        campaign = campaigns.create_campaign(db, "both teams", ["c_ann", "c_bo", "c_cy"],
                                             holdout_share=0.0)
        db.commit()
        return campaign.id


def test_campaign_lists_hold_only_the_teams_campaigns(world_app):
    mine = world_app.client("manager").get("/api/campaigns").json()
    theirs = world_app.client("other_manager").get("/api/campaigns").json()
    assert [c["campaign_id"] for c in mine["items"]] == [world_app.world.ids["campaign"]]
    assert (theirs["total"], theirs["items"]) == (0, [])
    assert world_app.client("admin").get("/api/campaigns").json()["total"] == 1
    page = world_app.client("other_manager").get("/campaigns").text
    assert "win back" not in page


def test_a_manager_contacts_and_scores_only_their_teams_targets(world_app):
    campaign_id = _mixed_campaign(world_app)
    max_client = world_app.client("other_manager")
    assert max_client.get(f"/api/campaigns/{campaign_id}").status_code == 200  # targets cy
    contacted = max_client.post(f"/api/campaigns/{campaign_id}/contact").json()
    assert (contacted["contacted"], contacted["skipped_contact_cap"]) == (1, 0)
    with world_app.app.state.sessionmaker() as db:
        touched = db.scalars(select(CampaignMember.customer_id).where(
            CampaignMember.campaign_id == campaign_id,
            CampaignMember.contacted_at.is_not(None))).all()
    assert touched == ["c_cy"]
    refused = max_client.post(f"/api/campaigns/{campaign_id}/outcomes",
                              json={"outcomes": {"c_ann": "success", "c_cy": "success"}})
    assert refused.status_code == 403 and "c_ann" in refused.json()["detail"]
    ok = max_client.post(f"/api/campaigns/{campaign_id}/outcomes",
                         json={"outcomes": {"c_cy": "failure"}})
    assert ok.status_code == 200
    detail = max_client.get(f"/campaigns/{campaign_id}").text
    assert "c_cy" in detail and "c_ann" not in detail


def test_another_teams_improvement_cannot_be_completed(world_app):
    improvement = world_app.world.ids["improvement"]
    refused = world_app.client("other_manager").post(f"/api/improvements/{improvement}/done")
    assert refused.status_code == 403
    with world_app.app.state.sessionmaker() as db:
        assert db.scalars(select(Task).where(Task.kind == "call",
                                             Task.source_key.like("improvement:%"))).all() == []
    done = world_app.client("manager").post(f"/api/improvements/{improvement}/done").json()
    assert done["to_notify"] == 1


def test_save_rate_summary_covers_the_callers_team(world_app):
    assert [row["owner"] for row in
            world_app.client("manager").get("/api/cases/summary").json()] == ["ann"]
    assert world_app.client("other_manager").get("/api/cases/summary").json() == []
    assert [row["owner"] for row in
            world_app.client("admin").get("/api/cases/summary").json()] == ["ann"]
