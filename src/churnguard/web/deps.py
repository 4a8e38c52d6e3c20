"""Shared dependencies: the database session, the current user and permissions.

Authorisation lives here and in :mod:`churnguard.workflow.services.scope` only; routes never
check roles or owners by hand. Use these in route signatures:

``db: DbSession``
    A SQLAlchemy session committed when the route returns without error (before the response
    is sent), rolled back otherwise. Changes are audited as the current user.
``user: CurrentUser``
    The logged-in user (detached from the request's session: read its columns, do not add it
    to a session); API routes answer 401 ``{"detail", "code": "unauthorized"}`` without a
    valid session.
``user: PageUser``
    For HTML pages (issue 8): the logged-in user, or a redirect to ``/login?next=<path>``
    (raised as :class:`LoginRequired`, which the app turns into a 303).
``Depends(require_role("manager", "admin"))`` (or the aliases ``user: Manager``,
``user: Admin``)
    403 for other roles; returns the user.
``customer: VisibleCustomer`` / ``task: VisibleTask`` / ``complaint: VisibleComplaint``
    The record named by the path parameter ``customer_id`` / ``task_id`` / ``complaint_id``
    when the user may see it: 404 when it does not exist, 403 when it is someone else's.
    (Page versions: ``PageCustomer``, ``PageTask``, ``PageComplaint``.)
``case: VisibleCase``, ``event: VisibleCareEvent``, ``survey: VisibleSurvey``
    Likewise for ``case_id``, ``event_id``, ``survey_id``.
``target: ManagedUser``
    The user named by ``user_id`` when the caller manages them (admin: anyone; manager: their
    team; 403 otherwise).
``lang: Language``
    The caller's language, ``zh`` or ``en`` (query ``lang``, the ``lang`` cookie, then
    ``Accept-Language``; English by default), for texts the API renders such as task titles.
``visible_customers(user)``
    ``select(Customer)`` narrowed to what the user may see (add filters, order, paging).

Example page route::

    @router.get("/customers/{customer_id}")
    def customer_page(request: Request, customer: PageCustomer, user: PageUser, db: DbSession):
        ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from churnguard.constraints import RecordId
from churnguard.i18n import COOKIE_NAME, negotiate_language
from churnguard.web.security import SESSION_COOKIE, CookieSigner
from churnguard.workflow.db import writing
from churnguard.workflow.errors import AuthenticationError, PermissionDeniedError
from churnguard.workflow.models import CareEvent, Complaint, Customer, RiskCase, Survey, Task, User
from churnguard.workflow.services import auth, scope
from churnguard.workflow.services.scope import visible_customers

__all__ = ["Admin", "CurrentUser", "DbSession", "Language", "LoginRequired", "ManagedUser",
           "Manager", "PageComplaint", "PageCustomer", "PageTask", "PageUser", "VisibleCareEvent",
           "VisibleCase", "VisibleComplaint", "VisibleCustomer", "VisibleSurvey", "VisibleTask",
           "current_user", "current_user_or_redirect", "get_db", "optional_user",
           "request_language", "require_role", "visible_customers"]


class LoginRequired(Exception):
    """Raised by page dependencies when nobody is logged in; becomes a 303 to ``/login``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def get_db(request: Request) -> Iterator[Session]:
    """A session for one request: commit on success, roll back on error; changes are audited
    as the logged-in user.

    A request that changes data starts as a writer. On SQLite the app's writer lock queues
    writers in the process (fair and without the busy-wait of SQLite's lock polling, which
    gives long tails under load); PostgreSQL needs no such lock. The session check
    (:func:`optional_user`) runs in its own short session, outside the lock.
    """
    writer = request.method not in ("GET", "HEAD", "OPTIONS")
    lock = request.app.state.write_lock if writer else None
    if lock is not None:
        lock.acquire()
    session = request.app.state.sessionmaker()
    session.info["actor_id"] = lambda: getattr(getattr(request.state, "user", None), "id", None)
    try:
        if writer:
            writing(session)  # SQLite: BEGIN IMMEDIATE, so no "database is locked" later
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        if lock is not None:
            lock.release()


DbSession = Annotated[Session, Depends(get_db, scope="function")]


def optional_user(request: Request) -> User | None:
    """The logged-in user or ``None`` (also stored on ``request.state.user``).

    Looked up in a short session of its own, so a writing request takes its write lock only
    after authentication; the user object is detached (its columns are loaded).
    """
    if hasattr(request.state, "user"):
        return request.state.user
    signer: CookieSigner = request.app.state.signer
    token = signer.loads(request.cookies.get(SESSION_COOKIE))
    user = None
    if token:
        with request.app.state.sessionmaker() as session:
            user = auth.user_for_token(session, token)
    request.state.user = user
    return user


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The logged-in user, or 401."""
    if user is None:
        raise AuthenticationError("not logged in, or the session expired. POST your user name "
                                  "and password to /api/auth/login.")
    return user


def current_user_or_redirect(request: Request,
                             user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The logged-in user, or a redirect to the login page (for HTML pages)."""
    if user is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return user


CurrentUser = Annotated[User, Depends(current_user)]
PageUser = Annotated[User, Depends(current_user_or_redirect)]


def require_role(*roles: str) -> Callable[..., User]:
    """A dependency that lets only ``roles`` through (403 otherwise) and returns the user."""

    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise PermissionDeniedError(f"this needs the role {' or '.join(roles)}; you are "
                                        f"{user.role!r}.")
        return user

    check.__name__ = f"require_{'_or_'.join(roles)}"
    return check


def _visible_customer(customer_id: str, user: CurrentUser, db: DbSession) -> Customer:
    return scope.get_customer(db, user, customer_id)


def _visible_task(task_id: RecordId, user: CurrentUser, db: DbSession) -> Task:
    return scope.get_task(db, user, task_id)


def _visible_complaint(complaint_id: RecordId, user: CurrentUser, db: DbSession) -> Complaint:
    return scope.get_complaint(db, user, complaint_id)


def _page_customer(customer_id: str, user: PageUser, db: DbSession) -> Customer:
    return scope.get_customer(db, user, customer_id)


def _page_task(task_id: RecordId, user: PageUser, db: DbSession) -> Task:
    return scope.get_task(db, user, task_id)


def _page_complaint(complaint_id: RecordId, user: PageUser, db: DbSession) -> Complaint:
    return scope.get_complaint(db, user, complaint_id)


def _visible_case(case_id: RecordId, user: CurrentUser, db: DbSession) -> RiskCase:
    return scope.get_case(db, user, case_id)


def _visible_care_event(event_id: RecordId, user: CurrentUser, db: DbSession) -> CareEvent:
    return scope.get_care_event(db, user, event_id)


def _visible_survey(survey_id: RecordId, user: CurrentUser, db: DbSession) -> Survey:
    return scope.get_survey(db, user, survey_id)


def _managed_user(user_id: RecordId, user: CurrentUser, db: DbSession) -> User:
    return scope.get_managed_user(db, user, user_id)


VisibleCustomer = Annotated[Customer, Depends(_visible_customer)]
VisibleCase = Annotated[RiskCase, Depends(_visible_case)]
VisibleCareEvent = Annotated[CareEvent, Depends(_visible_care_event)]
VisibleSurvey = Annotated[Survey, Depends(_visible_survey)]
ManagedUser = Annotated[User, Depends(_managed_user)]
Manager = Annotated[User, Depends(require_role("manager", "admin"))]
Admin = Annotated[User, Depends(require_role("admin"))]
VisibleTask = Annotated[Task, Depends(_visible_task)]
VisibleComplaint = Annotated[Complaint, Depends(_visible_complaint)]
PageCustomer = Annotated[Customer, Depends(_page_customer)]
PageTask = Annotated[Task, Depends(_page_task)]
PageComplaint = Annotated[Complaint, Depends(_page_complaint)]


def request_language(request: Request) -> str:
    """The caller's language: query ``lang``, the ``lang`` cookie, then ``Accept-Language``."""
    return negotiate_language(request.headers.get("accept-language"),
                              cookie=request.cookies.get(COOKIE_NAME),
                              query=request.query_params.get("lang"))


Language = Annotated[str, Depends(request_language)]
