"""Risk cases: ``at_risk → plan_in_place → saving → recovered | lost`` (挽留流程).

A case keeps its reasons, owner, value at risk and one row per stay in a stage, so the days in
each stage, the save rate (recovered / closed) and the days to resolve can be reported per owner
and per segment.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.orm import Session

from churnguard.constraints import MAX_MONEY, check_number
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import (
    CaseStage,
    Customer,
    Offer,
    RetentionPlan,
    RiskCase,
    User,
    utcnow,
)
from churnguard.workflow.models.tasks import STAGES
from churnguard.workflow.services.frames import read_frame, records

CLOSED = ("recovered", "lost")
_NEXT = {"at_risk": {"plan_in_place", "saving", "recovered", "lost"},
         "plan_in_place": {"saving", "recovered", "lost"},
         "saving": {"recovered", "lost"}, "recovered": set(), "lost": set()}


def open_case(session: Session, customer: Customer, *, now: datetime | None = None) -> RiskCase:
    """Open a case for ``customer`` (or return its open one)."""
    current = session.scalar(select(RiskCase).where(RiskCase.customer_id == customer.id,
                                                    RiskCase.stage.not_in(CLOSED)))
    if current is not None:
        return current
    now = now or utcnow()
    case = RiskCase(customer_id=customer.id, owner_id=customer.owner_id,
                    segment=customer.segment, stage="at_risk", reasons=customer.reasons,
                    value_at_risk=customer.profit_at_risk, opened_at=now)
    session.add(case)
    session.flush()
    session.add(CaseStage(case_id=case.id, stage="at_risk", entered_at=now))
    session.flush()
    return case


def open_cases_for_scores(session: Session, *, threshold: float, now: datetime) -> int:
    """Open a case for each active customer with ``p_churn >= threshold`` and no open case."""
    has_open = select(RiskCase.customer_id).where(RiskCase.stage.not_in(CLOSED))
    due = read_frame(session, select(
        Customer.id.label("customer_id"), Customer.owner_id, Customer.segment,
        Customer.reasons, Customer.profit_at_risk.label("value_at_risk"),
    ).where(Customer.p_churn >= threshold, Customer.status == "active",
            Customer.id.not_in(has_open)))
    if due.empty:
        return 0
    rows = records(due.assign(stage="at_risk", opened_at=now))
    ids = session.scalars(insert(RiskCase).returning(RiskCase.id), rows).all()
    session.execute(insert(CaseStage), [{"case_id": i, "stage": "at_risk", "entered_at": now}
                                        for i in ids])
    return len(ids)


def move_case(session: Session, case: RiskCase, stage: str, *,
              now: datetime | None = None) -> RiskCase:
    """Move ``case`` to ``stage`` (forward only; ``recovered``/``lost`` close it).

    Examples
    --------
    >>> move_case(None, RiskCase(stage="lost"), "saving")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    churnguard.workflow.errors.InvalidInputError: a case in stage 'lost' cannot move to ...
    """
    if stage not in STAGES:
        raise InvalidInputError(f"stage {stage!r} is not one of {', '.join(STAGES)}.")
    if stage not in _NEXT[case.stage]:
        raise InvalidInputError(f"a case in stage {case.stage!r} cannot move to {stage!r}; "
                                f"allowed: {', '.join(sorted(_NEXT[case.stage])) or 'none'}.")
    now = now or utcnow()
    current = session.scalar(select(CaseStage).where(CaseStage.case_id == case.id,
                                                     CaseStage.left_at.is_(None)))
    if current is not None:
        current.left_at = now
    session.add(CaseStage(case_id=case.id, stage=stage, entered_at=now,
                          left_at=now if stage in CLOSED else None))
    case.stage = stage
    if stage in CLOSED:
        case.closed_at = now
    session.flush()
    return case


def add_plan(session: Session, case: RiskCase, summary: str, *, author: User | None = None,
             offers: list[tuple[str, float]] = (), now: datetime | None = None) -> RetentionPlan:
    """Write a retention plan with its offers (description, cost); the case moves to
    ``plan_in_place``."""
    costs = [check_number(cost, name=f"offer {description!r} cost", low=0, high=MAX_MONEY)
             for description, cost in offers]
    plan = RetentionPlan(case_id=case.id, customer_id=case.customer_id, summary=summary,
                         author_id=author.id if author else None, created_at=now or utcnow())
    session.add(plan)
    session.flush()
    for (description, _), cost in zip(offers, costs, strict=True):
        session.add(Offer(plan_id=plan.id, description=description, cost=cost))
    if case.stage == "at_risk":
        move_case(session, case, "plan_in_place", now=now)
    session.flush()
    return plan


def decide_offer(session: Session, offer: Offer, *, accepted: bool,
                 now: datetime | None = None) -> Offer:
    """Record whether the customer accepted ``offer``; an accepted offer moves the case to
    ``saving``."""
    offer.accepted = accepted
    offer.decided_at = now or utcnow()
    plan = session.get(RetentionPlan, offer.plan_id)
    case = session.get(RiskCase, plan.case_id) if plan else None
    if accepted and case is not None and case.stage in ("at_risk", "plan_in_place"):
        move_case(session, case, "saving", now=now)
    session.flush()
    return offer


def close_cases_from_scores(session: Session, *, recovered_below: float, churned: set[str],
                            now: datetime) -> dict[str, int]:
    """Close cases whose customer churned (``lost``) or, in ``saving``, whose risk fell below
    ``recovered_below`` (``recovered``)."""
    open_cases = session.execute(select(RiskCase, Customer.p_churn).join(
        Customer, Customer.id == RiskCase.customer_id).where(RiskCase.stage.not_in(CLOSED))).all()
    counts = {"lost": 0, "recovered": 0}
    for case, p_churn in open_cases:  # open cases only: a working list, not every customer
        if case.customer_id in churned:
            move_case(session, case, "lost", now=now)
            counts["lost"] += 1
        elif case.stage == "saving" and p_churn is not None and p_churn < recovered_below:
            move_case(session, case, "recovered", now=now)
            counts["recovered"] += 1
    return counts


def save_rate_summary(session: Session, *, by: str = "owner", since: date | None = None,
                      only: ColumnElement[bool] | None = None) -> pd.DataFrame:
    """Per owner (``by="owner"``) or segment: ``cases, closed, recovered, lost, save_rate,
    avg_days_to_resolve`` (save rate = recovered / closed; days from open to close). ``only``
    narrows the cases (a manager's team: ``scope.case_clause(user)``).

    Examples
    --------
    >>> from churnguard.workflow import make_engine, make_sessionmaker, migrate
    >>> engine = make_engine("sqlite://"); migrate(engine)
    >>> save_rate_summary(make_sessionmaker(engine)()).columns.tolist()[:3]
    ['owner', 'cases', 'closed']
    """
    key = {"owner": User.username, "segment": RiskCase.segment}.get(by)
    if key is None:
        raise InvalidInputError(f"by={by!r}: use 'owner' or 'segment'.")
    query = select(key.label(by), RiskCase.stage, RiskCase.opened_at, RiskCase.closed_at
                   ).outerjoin(User, User.id == RiskCase.owner_id)
    if since is not None:
        query = query.where(RiskCase.opened_at >= datetime.combine(since, datetime.min.time()))
    if only is not None:
        query = query.where(only)
    frame = read_frame(session, query)
    frame[by] = frame[by].fillna("(none)")
    days = (pd.to_datetime(frame["closed_at"]) - pd.to_datetime(frame["opened_at"]))
    frame = frame.assign(days=days.dt.total_seconds() / 86400,
                         closed=frame["stage"].isin(CLOSED),
                         recovered=frame["stage"].eq("recovered"),
                         lost=frame["stage"].eq("lost"))
    out = frame.groupby(by).agg(cases=("stage", "size"), closed=("closed", "sum"),
                                recovered=("recovered", "sum"), lost=("lost", "sum"),
                                avg_days_to_resolve=("days", "mean")).reset_index()
    out["save_rate"] = out["recovered"] / out["closed"].where(out["closed"] > 0)
    return out[[by, "cases", "closed", "recovered", "lost", "save_rate",
                "avg_days_to_resolve"]].astype({"cases": int, "closed": int, "recovered": int,
                                                "lost": int})


def stage_days(session: Session, case: RiskCase, *, now: datetime | None = None
               ) -> dict[str, float]:
    """Days spent in each stage so far (an open stay counts up to ``now``)."""
    now = now or utcnow()
    stays = session.scalars(select(CaseStage).where(CaseStage.case_id == case.id)).all()
    days: dict[str, float] = {}
    for stay in stays:
        end = stay.left_at or now
        days[stay.stage] = days.get(stay.stage, 0.0) + (end - stay.entered_at
                                                        ).total_seconds() / 86400
    return days
