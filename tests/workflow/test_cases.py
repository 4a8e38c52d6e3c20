"""Risk cases: stage moves, days in stage, save rate and days to resolve per owner/segment."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.services import cases
from tests.workflow.builders import customer, team

T0 = datetime(2024, 3, 1, 9, 0)


def test_case_moves_through_plan_offer_and_recovery(db):
    users = team(db)
    c1 = customer(db, "c1", users["ann"], segment="smb", profit_at_risk=800.0,
                  reasons=["fewer orders"])
    case = cases.open_case(db, c1, now=T0)
    assert cases.open_case(db, c1, now=T0) is case  # one open case per customer
    assert (case.stage, case.value_at_risk, case.reasons) == ("at_risk", 800.0, ["fewer orders"])
    plan = cases.add_plan(db, case, "personal call + loyalty discount", author=users["ann"],
                          offers=[("10% off next order", 120.0)], now=T0 + timedelta(days=2))
    assert case.stage == "plan_in_place" and plan.customer_id == "c1"
    offer = plan_offers(db, plan)[0]
    cases.decide_offer(db, offer, accepted=True, now=T0 + timedelta(days=5))
    assert case.stage == "saving" and offer.accepted is True
    cases.move_case(db, case, "recovered", now=T0 + timedelta(days=12))
    assert case.closed_at == T0 + timedelta(days=12)
    assert cases.stage_days(db, case) == {"at_risk": 2.0, "plan_in_place": 3.0, "saving": 7.0,
                                          "recovered": 0.0}


def plan_offers(db, plan):
    from sqlalchemy import select

    from churnguard.workflow.models import Offer

    return db.scalars(select(Offer).where(Offer.plan_id == plan.id)).all()


def test_closed_cases_cannot_move_and_stages_are_checked(db):
    users = team(db)
    case = cases.open_case(db, customer(db, "c1", users["ann"]), now=T0)
    with pytest.raises(InvalidInputError, match="stage 'won' is not one of at_risk"):
        cases.move_case(db, case, "won")
    cases.move_case(db, case, "lost", now=T0)
    with pytest.raises(InvalidInputError, match="cannot move to 'saving'; allowed: none"):
        cases.move_case(db, case, "saving")


def test_save_rate_and_days_to_resolve_per_owner_and_segment(db):
    users = team(db)
    outcomes = [  # (customer, owner, segment, final stage, days to close)
        ("c1", "ann", "smb", "recovered", 10), ("c2", "ann", "smb", "lost", 20),
        ("c3", "ann", "ent", "recovered", 4), ("c4", "bo", "smb", "lost", 6),
        ("c5", "bo", "ent", None, None)]
    for cid, owner, segment, stage, days in outcomes:
        case = cases.open_case(db, customer(db, cid, users[owner], segment=segment), now=T0)
        if stage:
            cases.move_case(db, case, stage, now=T0 + timedelta(days=days))
    by_owner = cases.save_rate_summary(db, by="owner").set_index("owner")
    assert by_owner.loc["ann", ["cases", "closed", "recovered", "lost"]].tolist() == [3, 3, 2, 1]
    assert by_owner.loc["ann", "save_rate"] == pytest.approx(2 / 3)
    assert by_owner.loc["ann", "avg_days_to_resolve"] == pytest.approx((10 + 20 + 4) / 3)
    assert by_owner.loc["bo", "save_rate"] == 0.0
    assert by_owner.loc["bo", "avg_days_to_resolve"] == pytest.approx(6.0)
    by_segment = cases.save_rate_summary(db, by="segment").set_index("segment")
    assert by_segment.loc["smb", "save_rate"] == pytest.approx(1 / 3)
    assert by_segment.loc["ent", ["cases", "closed"]].tolist() == [2, 1]
    assert by_segment.loc["ent", "save_rate"] == 1.0
    with pytest.raises(InvalidInputError, match="by='region'"):
        cases.save_rate_summary(db, by="region")


def test_sync_rules_open_and_close_cases_from_scores(db):
    users = team(db)
    customer(db, "c1", users["ann"], p_churn=0.7, segment="smb")
    customer(db, "c2", users["ann"], p_churn=0.4)
    customer(db, "c3", users["bo"], p_churn=0.9)
    assert cases.open_cases_for_scores(db, threshold=0.5, now=T0) == 2
    assert cases.open_cases_for_scores(db, threshold=0.5, now=T0) == 0
    from sqlalchemy import select

    from churnguard.workflow.models import Customer, RiskCase

    by_customer = {c.customer_id: c for c in db.scalars(select(RiskCase))}
    cases.move_case(db, by_customer["c1"], "saving", now=T0)
    db.get(Customer, "c1").p_churn = 0.2
    closed = cases.close_cases_from_scores(db, recovered_below=0.3, churned={"c3"},
                                           now=T0 + timedelta(days=9))
    assert closed == {"lost": 1, "recovered": 1}
    assert by_customer["c1"].stage == "recovered" and by_customer["c3"].stage == "lost"
