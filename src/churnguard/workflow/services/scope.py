"""Who may see what: the one definition of visibility that the web app and CLI enforce.

A rep sees the customers they own and their own tasks; a manager sees their team (themselves and
the users whose ``manager_id`` is theirs); an admin sees everything.

Examples
--------
>>> from churnguard.workflow.models import User
>>> print(customer_clause(User(id=7, role="rep")))
customers.owner_id = :owner_id_1
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, false, or_, select, true
from sqlalchemy.orm import Session

from churnguard.workflow.errors import NotFoundError, PermissionDeniedError
from churnguard.workflow.models import (
    Campaign,
    CampaignMember,
    CareEvent,
    Complaint,
    Customer,
    Improvement,
    ImprovementCustomer,
    RiskCase,
    Survey,
    Task,
    User,
)


def team_ids(user: User) -> Select[tuple[int]]:
    """A sub-select of the user ids in ``user``'s team (the manager and their reports)."""
    return select(User.id).where(or_(User.id == user.id, User.manager_id == user.id))


def customer_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on ``customers`` selecting the rows ``user`` may see."""
    if user.role == "admin":
        return true()
    if user.role == "manager":
        return Customer.owner_id.in_(team_ids(user))
    return Customer.owner_id == user.id


def on_visible_customer(user: User, customer_col: ColumnElement) -> ColumnElement[bool]:
    """Rows whose ``customer_col`` is a customer ``user`` may see (a correlated EXISTS, so
    each row costs one key lookup however many customers the user has)."""
    if user.role == "admin":
        return true()
    return exists().where(Customer.id == customer_col, customer_clause(user))


def owned_clause(user: User, owner_col: ColumnElement, customer_col: ColumnElement
                 ) -> ColumnElement[bool]:
    """Rows (tasks, complaints…) ``user`` may see: their own, their team's, or on a visible
    customer (for managers and admins)."""
    if user.role == "admin":
        return true()
    if user.role == "manager":
        return or_(owner_col.in_(team_ids(user)), on_visible_customer(user, customer_col))
    return owner_col == user.id


def task_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on ``tasks``: a rep's own tasks; a manager's team's; all for admins."""
    return owned_clause(user, Task.owner_id, Task.customer_id)


def complaint_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on ``complaints``: a rep's own customers' complaints and their own."""
    if user.role == "rep":
        return or_(Complaint.owner_id == user.id,
                   on_visible_customer(user, Complaint.customer_id))
    return owned_clause(user, Complaint.owner_id, Complaint.customer_id)


def visible_customers(user: User):  # noqa: ANN201 - a SQLAlchemy Select
    """``select(Customer)`` restricted to what ``user`` may see (add order and paging)."""
    return select(Customer).where(customer_clause(user))


def _fetch(session: Session, model: type, key: object, clause: ColumnElement[bool],
           label: str) -> object:
    row = session.scalar(select(model).where(clause, model.id == key))  # type: ignore
    if row is not None:
        return row
    entity = f"entity.{label.split()[-1]}"
    if session.get(model, key) is None:
        raise NotFoundError(f"{label} {key!r} does not exist.").localized(
            "error.missing", what_key=entity, id=key)
    raise PermissionDeniedError(f"you may not see {label} {key!r}: it belongs to another "
                                f"owner's book.").localized("error.not_yours",
                                                            what_key=entity, id=key)


def get_customer(session: Session, user: User, customer_id: str) -> Customer:
    """Customer ``customer_id`` when ``user`` may see it (404 missing, 403 not allowed)."""
    return _fetch(session, Customer, customer_id, customer_clause(user), "customer")  # type: ignore


def get_task(session: Session, user: User, task_id: int) -> Task:
    """Task ``task_id`` when ``user`` may see it."""
    return _fetch(session, Task, task_id, task_clause(user), "task")  # type: ignore


def get_complaint(session: Session, user: User, complaint_id: int) -> Complaint:
    """Complaint ``complaint_id`` when ``user`` may see it."""
    return _fetch(session, Complaint, complaint_id, complaint_clause(user),  # type: ignore
                  "complaint")


def can_manage(actor: User, user: User) -> bool:
    """Whether ``actor`` may manage ``user`` (assign work, hand over their customers).

    Examples
    --------
    >>> boss, rep = User(id=1, role="manager"), User(id=2, role="rep", manager_id=1)
    >>> can_manage(boss, rep), can_manage(rep, boss)
    (True, False)
    """
    return actor.role == "admin" or (actor.role == "manager"
                                     and (user.manager_id == actor.id or user.id == actor.id))


def case_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on ``risk_cases``, like tasks."""
    return owned_clause(user, RiskCase.owner_id, RiskCase.customer_id)


def get_case(session: Session, user: User, case_id: int) -> RiskCase:
    """Risk case ``case_id`` when ``user`` may see it."""
    return _fetch(session, RiskCase, case_id, case_clause(user), "risk case")  # type: ignore


def _on_visible_customer(model: type, user: User) -> ColumnElement[bool]:
    return on_visible_customer(user, model.customer_id)  # type: ignore[attr-defined]


def get_care_event(session: Session, user: User, event_id: int) -> CareEvent:
    """Care event ``event_id`` of a customer ``user`` may see."""
    return _fetch(session, CareEvent, event_id, _on_visible_customer(CareEvent, user),  # type: ignore
                  "care event")


def get_survey(session: Session, user: User, survey_id: int) -> Survey:
    """Survey ``survey_id`` of a customer ``user`` may see."""
    return _fetch(session, Survey, survey_id, _on_visible_customer(Survey, user),  # type: ignore
                  "survey")


def get_managed_user(session: Session, actor: User, user_id: int) -> User:
    """User ``user_id`` when ``actor`` manages them (admin: anyone; manager: their team)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} does not exist.")
    if not can_manage(actor, user):
        raise PermissionDeniedError(f"you do not manage user {user.username!r}.")
    return user


def user_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on ``users``: admins all, managers their team, reps themselves."""
    if user.role == "admin":
        return true()
    if user.role == "manager":
        return or_(User.id == user.id, User.manager_id == user.id)
    return User.id == user.id


def campaign_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on ``campaigns``: for a manager, those their team made or that target a
    customer they may see; all for admins; none for reps (campaigns are a manager's tool)."""
    if user.role == "admin":
        return true()
    if user.role != "manager":
        return false()
    return or_(Campaign.created_by_id.in_(team_ids(user)),
               exists().where(CampaignMember.campaign_id == Campaign.id,
                              on_visible_customer(user, CampaignMember.customer_id)))


def get_campaign(session: Session, user: User, campaign_id: int) -> Campaign:
    """Campaign ``campaign_id`` when ``user`` may see it (404 missing, 403 another team's)."""
    return _fetch(session, Campaign, campaign_id, campaign_clause(user),  # type: ignore
                  "campaign")


def improvement_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on ``improvements`` a user may act on: a manager's team's, or one that
    links a customer they may see; all for admins."""
    if user.role == "admin":
        return true()
    linked = exists().where(ImprovementCustomer.improvement_id == Improvement.id,
                            on_visible_customer(user, ImprovementCustomer.customer_id))
    if user.role == "manager":
        return or_(Improvement.created_by_id.in_(team_ids(user)), linked)
    return linked


def get_improvement(session: Session, user: User, improvement_id: int) -> Improvement:
    """Improvement ``improvement_id`` when ``user`` may act on it."""
    return _fetch(session, Improvement, improvement_id, improvement_clause(user),  # type: ignore
                  "improvement")


def hidden_customers(session: Session, user: User, customer_ids: list[str]) -> list[str]:
    """Those of ``customer_ids`` that ``user`` may not see (or that do not exist), sorted."""
    wanted = sorted(set(customer_ids))
    if user.role == "admin" or not wanted:
        seen = set(session.scalars(select(Customer.id).where(Customer.id.in_(wanted))))
    else:
        seen = set(session.scalars(select(Customer.id).where(Customer.id.in_(wanted),
                                                             customer_clause(user))))
    return [cid for cid in wanted if cid not in seen]
