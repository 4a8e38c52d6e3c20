"""Customer 360: everything about one customer, and the actions a rep takes on it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import func, or_, select

from churnguard.constraints import Code, Day, Money
from churnguard.i18n import translate
from churnguard.report.review import optional_function
from churnguard.web.deps import DbSession, PageCustomer, PageUser
from churnguard.web.pages import actions
from churnguard.web.pages.audit_text import describe, entity_label, user_names
from churnguard.web.pages.common import language, redirect, render, to_json, warehouse
from churnguard.web.pages.data import (
    customer_interactions,
    customer_orders,
    customer_phones,
    customer_risk_history,
    customer_row,
    data_end,
    fired_rules,
    monthly_spend,
    rfm_of,
    risk_reasons,
    risk_subjects,
    tel_href,
)
from churnguard.web.pages.worklist import reason_texts, why_at_risk
from churnguard.workflow.models import (
    CampaignMember,
    ChurnRecord,
    Complaint,
    Customer,
    Offer,
    RetentionPlan,
    Survey,
    Task,
    User,
)
from churnguard.workflow.services import scope
from churnguard.workflow.services.history import customer_trail

router = APIRouter()
SEARCH_LIMIT = 50
ORDERS_SHOWN = 30


@router.get("/customers")
def customer_search(request: Request, user: PageUser, db: DbSession, q: str = "") -> Response:
    """Find a visible customer by id or name."""
    query = scope.visible_customers(user)
    if q.strip():
        like = f"%{q.strip()}%"
        query = query.where(or_(Customer.id.ilike(like), Customer.name.ilike(like)))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(Customer.id).limit(SEARCH_LIMIT)).all()
    return render(request, "customers.html", user, rows=rows, q=q, total=total)


@router.get("/customers/{customer_id}")
def customer_page(request: Request, customer: PageCustomer, user: PageUser,
                  db: DbSession) -> Response:
    """Profile, orders, value, risk, complaints, tasks, campaigns and the audit trail."""
    lang = language(request)
    with warehouse(request) as ws:
        facts = warehouse_facts(ws, customer.id)
        model_reasons = risk_reasons(ws, [customer.id], lang).get(customer.id)
        rules = fired_rules(ws, [customer.id], lang).get(customer.id, [])
        subjects = risk_subjects(ws, [customer.id]).get(customer.id)
        phone = customer_phones(ws, [customer.id]).get(customer.id)
    latest = facts["risk_history"][-1] if facts["risk_history"] else {}
    return render(request, "customer.html", user, c=customer, phone=phone, tel_href=tel_href,
                  why=why_at_risk(model_reasons or reason_texts(customer.reasons, lang), rules,
                                  subjects=subjects if model_reasons else None),
                  value=value_parts(latest, customer), health=health_parts(latest),
                  owner=owner_of(db, customer), **facts, **workflow_facts(db, customer.id, lang),
        reasons_taxonomy=reason_choices(lang), today=date.today(), to_json=to_json)


def warehouse_facts(ws: Any, customer_id: str) -> dict[str, Any]:
    """What the warehouse knows about the customer (empty when there is no workspace)."""
    if ws is None:
        return {"profile": None, "orders": [], "order_count": 0, "spend_option": None,
                "rfm": {}, "risk_history": [], "interactions": []}
    orders = customer_orders(ws, customer_id)
    end = data_end(ws) or date.today()
    spend = monthly_spend(orders)
    option = None
    if not spend.empty:
        option = {"tooltip": {"trigger": "axis"}, "animation": False,
                  "grid": {"left": 50, "right": 16, "top": 16, "bottom": 30},
                  "xAxis": {"type": "category", "data": spend["month"].tolist()},
                  "yAxis": {"type": "value"},
                  "series": [{"type": "bar", "data": [round(v, 2) for v in spend["amount"]],
                              "itemStyle": {"color": "#1f6feb"}}]}
    history = customer_risk_history(ws, customer_id)
    return {"profile": customer_row(ws, customer_id),
            "orders": orders.head(ORDERS_SHOWN).to_dict("records"), "order_count": len(orders),
            "spend_option": option, "rfm": rfm_of(orders, end),
            "risk_history": history.to_dict("records"),
            "interactions": customer_interactions(ws, customer_id).head(50).to_dict("records")}


VALUE_PARTS = ("clv", "value_if_retained", "p_alive", "expected_purchases",
               "expected_purchases_if_retained", "expected_spend", "margin", "spend_estimator",
               "cost_to_serve")
HEALTH_DIMENSIONS = ("purchasing", "spend", "service", "payment", "relationship", "other")


def value_parts(latest: dict[str, Any], customer: Customer) -> dict[str, Any]:
    """CLV and what it is made of, from the customer's latest score (``risk_scores``): p_alive,
    expected purchases (and if retained), spend per purchase, margin, the spend estimator;
    CLV and value if retained fall back to the app store's copy. Missing parts are None.

    Examples
    --------
    >>> parts = value_parts({"clv": 120.0, "expected_spend": 50.0, "margin": float("nan"),
    ...                      "spend_estimator": "shrinkage"}, Customer(id="a", clv=99.0))
    >>> parts["clv"], parts["expected_spend"], parts["margin"], parts["spend_estimator"]
    (120.0, 50.0, None, 'shrinkage')
    """
    parts = {name: _number_or_text(latest.get(name)) for name in VALUE_PARTS}
    for name in ("clv", "value_if_retained"):
        if parts[name] is None:
            parts[name] = getattr(customer, name)
    return parts


def health_parts(latest: dict[str, Any]) -> dict[str, Any] | None:
    """The latest health score and its dimensions (``[(dimension, score)]``, those the model
    uses), or None when the score has no health."""
    overall = _number_or_text(latest.get("health_score"))
    if overall is None:
        return None
    dimensions = [(d, v) for d in HEALTH_DIMENSIONS
                  if (v := _number_or_text(latest.get(f"health_{d}"))) is not None]
    return {"score": overall, "dimensions": dimensions}


def _number_or_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value or None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def owner_of(db: Any, customer: Customer) -> User | None:
    """The customer's owner in the app, else the user synced from the warehouse's owner (a
    staff id such as ``S0041``), so the page names a person rather than a code."""
    if customer.owner_id:
        return db.get(User, customer.owner_id)
    if customer.warehouse_owner_id:
        return db.scalar(select(User).where(User.staff_id == customer.warehouse_owner_id))
    return None


def workflow_facts(db: Any, customer_id: str, lang: str = "en") -> dict[str, Any]:
    """What the app store knows: complaints, surveys, tasks, plans, campaigns, churn, and the
    audit trail as ``(entry, who, record, sentence)`` rows in ``lang``."""
    plans = db.scalars(select(RetentionPlan).where(RetentionPlan.customer_id == customer_id)
                       .order_by(RetentionPlan.created_at.desc())).all()
    offers = db.scalars(select(Offer).where(Offer.plan_id.in_([p.id for p in plans]))).all()
    audit = customer_trail(db, customer_id)  # by index; a bad entry cannot break it
    return {
        "complaints": db.scalars(select(Complaint).where(Complaint.customer_id == customer_id)
                                 .order_by(Complaint.received_at.desc())).all(),
        "surveys": db.scalars(select(Survey).where(Survey.customer_id == customer_id)
                              .order_by(Survey.sent_at.desc())).all(),
        "tasks": db.scalars(select(Task).where(Task.customer_id == customer_id)
                            .order_by(Task.created_at.desc()).limit(50)).all(),
        "plans": plans, "offers": {p.id: [o for o in offers if o.plan_id == p.id] for p in plans},
        "campaigns": db.scalars(select(CampaignMember).where(
            CampaignMember.customer_id == customer_id)).all(),
        "churn": db.scalar(select(ChurnRecord).where(ChurnRecord.customer_id == customer_id)),
        "audit": audit_rows(db, audit, lang),
    }


def audit_rows(db: Any, audit: list[Any], lang: str) -> list[tuple[Any, str, str, str]]:
    """Each audit entry with who made it, the record and what changed, as sentences."""
    names = user_names(db, audit)
    system = translate("audit.system", lang)
    return [(entry, names.get(entry.actor_id, system) if entry.actor_id else system,
             entity_label(entry.entity, entry.entity_id, lang), describe(entry, lang, names))
            for entry in audit]


def reason_choices(lang: str) -> list[tuple[str, str]]:
    """(code, label) of the churn-reason taxonomy, or a short fallback list."""
    taxonomy = optional_function("churnguard.reasons.taxonomy", "default_taxonomy")
    if taxonomy is None:
        return [(c, c) for c in ("price", "quality", "competitor", "service", "other")]
    return [(r.code, r.name(lang)) for r in taxonomy()]


@router.post("/customers/{customer_id}/contact")
def log_contact(customer: PageCustomer, user: PageUser, db: DbSession,
                kind: Annotated[Code, Form()] = "call",
                notes: Annotated[str, Form()] = "") -> Response:
    """Log a call, visit or email with the customer (a completed task with its outcome)."""
    actions.log_contact(db, customer, user, kind=kind, notes=notes)
    return redirect(f"/customers/{customer.id}#tasks")


@router.post("/customers/{customer_id}/plan")
def create_plan(customer: PageCustomer, user: PageUser, db: DbSession,
                summary: Annotated[str, Form()], offer: Annotated[str, Form()] = "",
                cost: Annotated[Money, Form()] = 0.0) -> Response:
    """Create a retention plan (opening a risk case when needed), with an optional offer."""
    actions.create_plan(db, customer, user, summary=summary, offer=offer, cost=cost)
    return redirect(f"/customers/{customer.id}#tasks")


@router.post("/customers/{customer_id}/churn")
def record_churn(customer: PageCustomer, user: PageUser, db: DbSession,
                 churn_date: Annotated[Day, Form()], reason: Annotated[Code, Form()],
                 valuable: Annotated[bool, Form()] = False,
                 notes: Annotated[str, Form()] = "") -> Response:
    """Record that the customer left, why, and whether they were valuable."""
    actions.record_churn(db, customer, user, churn_date=churn_date, reason=reason,
                         valuable=valuable, notes=notes)
    return redirect(f"/customers/{customer.id}")


@router.post("/customers/{customer_id}/won-back")
def mark_won_back(customer: PageCustomer, user: PageUser, db: DbSession,
                  won_back_on: Annotated[Day | None, Form()] = None) -> Response:
    """Mark a churned customer as won back."""
    actions.mark_won_back(db, customer, user, on=won_back_on or date.today())
    return redirect(f"/customers/{customer.id}")
