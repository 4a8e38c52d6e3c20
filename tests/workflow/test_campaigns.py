"""Campaigns: random holdout, contact pressure, success rate and uplift with its interval."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from churnguard.workflow.errors import InvalidInputError, NotFoundError
from churnguard.workflow.models import CampaignMember, Customer
from churnguard.workflow.services import campaigns, loyalty
from churnguard.workflow.settings import WorkflowPolicy
from tests.workflow.builders import customer, team

T0 = datetime(2024, 6, 1, 10, 0)


def _customers(db, n, owner):
    db.add_all([Customer(id=f"c{i:04d}", owner_id=owner.id) for i in range(n)])
    db.flush()
    return [f"c{i:04d}" for i in range(n)]


def _groups(db, campaign):
    rows = db.execute(select(CampaignMember.customer_id, CampaignMember.group).where(
        CampaignMember.campaign_id == campaign.id))
    return dict(rows.all())


def test_holdout_is_the_requested_share_random_and_reproducible(db):
    users = team(db)
    ids = _customers(db, 200, users["ann"])
    first = campaigns.create_campaign(db, "win back spring", ids, holdout_share=0.25, seed=7)
    again = campaigns.create_campaign(db, "same seed", ids, holdout_share=0.25, seed=7)
    other = campaigns.create_campaign(db, "other seed", ids, holdout_share=0.25, seed=8)
    groups = _groups(db, first)
    assert sum(g == "holdout" for g in groups.values()) == 50
    assert groups == _groups(db, again)
    assert groups != _groups(db, other)
    holdout = [cid for cid, g in groups.items() if g == "holdout"]
    assert holdout != sorted(ids)[:50]  # not simply the first ones


def test_campaign_input_errors(db):
    with pytest.raises(InvalidInputError, match="has no target customers"):
        campaigns.create_campaign(db, "empty", [])
    with pytest.raises(InvalidInputError, match=r"holdout_share=1.0 must be in \[0, 1\)"):
        campaigns.create_campaign(db, "x", ["c1"], holdout_share=1.0)
    with pytest.raises(InvalidInputError, match="campaign kind 'spam'"):
        campaigns.create_campaign(db, "x", ["c1"], kind="spam")


def test_contact_pressure_skips_customers_touched_recently(db):
    users = team(db)
    for cid in ("c1", "c2", "c3"):
        customer(db, cid, users["ann"])
    loyalty.record_contact(db, "c1", channel="care", source="care", source_id=1,
                           at=T0 - timedelta(days=5))
    loyalty.record_contact(db, "c2", channel="call", source="task", source_id=1,
                           at=T0 - timedelta(days=20))
    campaign = campaigns.create_campaign(db, "retain", ["c1", "c2", "c3"], kind="retention",
                                         holdout_share=0.0)
    done = campaigns.contact_treatment(db, campaign, at=T0,
                                       policy=WorkflowPolicy(contact_cap_days=14))
    assert done == {"contacted": 2, "skipped_contact_cap": 1}
    skipped = db.scalar(select(CampaignMember).where(CampaignMember.customer_id == "c1"))
    assert skipped.skipped_reason == "contact_cap" and skipped.contacted_at is None
    # the campaign touch itself now counts: a second campaign a week later skips everyone
    second = campaigns.create_campaign(db, "again", ["c2", "c3"], holdout_share=0.0)
    assert campaigns.contact_treatment(db, second, at=T0 + timedelta(days=7)) == {
        "contacted": 0, "skipped_contact_cap": 2}


def test_uplift_matches_newcombe_interval_computed_by_hand():
    # treatment 30/100, holdout 10/50: Wilson (0.2190, 0.3958) and (0.1124, 0.3304)
    effect = campaigns.uplift(30, 100, 10, 50)
    assert effect["uplift"] == pytest.approx(0.10)
    assert effect["ci_low"] == pytest.approx(0.1 - np.hypot(0.3 - 0.21898, 0.33037 - 0.2),
                                             abs=1e-4)
    assert effect["ci_high"] == pytest.approx(0.1 + np.hypot(0.39583 - 0.3, 0.2 - 0.11243),
                                              abs=1e-4)
    assert campaigns.uplift(3, 10, 0, 0)["uplift"] is None


def test_uplift_interval_covers_the_true_effect_about_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    true_t, true_h, n_t, n_h = 0.30, 0.18, 400, 200
    covered = 0
    for _ in range(1000):
        effect = campaigns.uplift(int(rng.binomial(n_t, true_t)), n_t,
                                  int(rng.binomial(n_h, true_h)), n_h)
        covered += effect["ci_low"] <= true_t - true_h <= effect["ci_high"]
    assert 0.93 <= covered / 1000 <= 0.97


def test_campaign_with_known_effect_recovers_it(db):
    """Fixture of known effect: success 30 % when contacted, 18 % in the holdout."""
    users = team(db)
    ids = _customers(db, 1500, users["ann"])
    campaign = campaigns.create_campaign(db, "win back", ids, holdout_share=0.3, seed=1,
                                         starts_on=T0.date())
    campaigns.contact_treatment(db, campaign, at=T0)
    groups = _groups(db, campaign)
    rng = np.random.default_rng(42)
    draws = rng.random(len(ids))
    outcomes = {cid: "success" if draw < (0.30 if groups[cid] == "treatment" else 0.18)
                else "failure" for cid, draw in zip(sorted(groups), draws, strict=True)}
    campaigns.record_outcomes(db, campaign, outcomes, at=T0 + timedelta(days=60))
    effect = campaigns.campaign_effect(db, campaign)
    treated = [c for c, g in groups.items() if g == "treatment"]
    held = [c for c, g in groups.items() if g == "holdout"]
    assert (effect["targeted"], effect["holdout"], effect["contacted"]) == (1050, 450, 1050)
    wins = sum(outcomes[c] == "success" for c in treated)
    held_wins = sum(outcomes[c] == "success" for c in held)
    assert effect["success_rate"] == pytest.approx(wins / 1050)
    assert effect["uplift"] == pytest.approx(wins / 1050 - held_wins / 450)
    assert effect["ci_low"] < 0.12 < effect["ci_high"]
    assert effect["ci_low"] > 0  # the effect is detected
    assert campaigns.win_back_success_rate(db) == pytest.approx(wins / 1050)


def test_outcomes_for_unknown_targets_are_refused(db):
    users = team(db)
    customer(db, "c1", users["ann"])
    campaign = campaigns.create_campaign(db, "x", ["c1"], holdout_share=0.0)
    with pytest.raises(NotFoundError, match="c9 are not targets"):
        campaigns.record_outcomes(db, campaign, {"c9": "success"})
    with pytest.raises(InvalidInputError, match="outcome\\(s\\) won not one of"):
        campaigns.record_outcomes(db, campaign, {"c1": "won"})
