"""``/api/auth``: log in (sets the session cookie), log out, who am I."""

from __future__ import annotations

from typing import Annotated

from annotated_types import MaxLen
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from churnguard.web.deps import CurrentUser, DbSession
from churnguard.web.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CookieSigner,
    client_ip,
    new_csrf_token,
)
from churnguard.workflow.errors import AuthenticationError
from churnguard.workflow.models import User
from churnguard.workflow.services import auth

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    username: Annotated[str, MaxLen(80)]
    password: Annotated[str, MaxLen(1000)]


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str | None
    role: str
    manager_id: int | None


def _public(user: User) -> UserPublic:
    return UserPublic(id=user.id, username=user.username, display_name=user.display_name,
                      role=user.role, manager_id=user.manager_id)


def start_session(request: Request, response: Response, db: DbSession, username: str,
                  password: str) -> User:
    """Log in and set the session cookie on ``response``; raises 401/429 errors.

    The HTML login form (issue 8) calls this too, with its own redirect response.
    """
    settings = request.app.state.settings
    ip = client_ip(request)
    try:
        user, token = auth.login(db, username, password, ip=ip, policy=settings.policy())
    except AuthenticationError:
        db.commit()  # keep the failed attempt: the rate limit counts it
        raise
    signer: CookieSigner = request.app.state.signer
    session_cookie = signer.dumps(token)
    response.set_cookie(SESSION_COOKIE, session_cookie, httponly=True, samesite="lax",
                        secure=settings.secure_cookies,
                        max_age=int(settings.session_hours * 3600))
    # the CSRF token of the new session (a token from before the login is no longer valid)
    response.set_cookie(CSRF_COOKIE, new_csrf_token(signer, session_cookie), httponly=False,
                        samesite="lax", secure=settings.secure_cookies)
    return user


def end_session(request: Request, response: Response, db: DbSession) -> None:
    """End the server-side session and clear the cookie."""
    signer: CookieSigner = request.app.state.signer
    token = signer.loads(request.cookies.get(SESSION_COOKIE))
    if token:
        auth.logout(db, token)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax",
                           secure=request.app.state.settings.secure_cookies)


@router.post("/login")
def login(body: LoginRequest, request: Request, response: Response, db: DbSession
          ) -> UserPublic:
    """Check the user name and password and set the ``cg_session`` cookie."""
    return _public(start_session(request, response, db, body.username, body.password))


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, db: DbSession, user: CurrentUser) -> None:
    """End the session."""
    end_session(request, response, db)


@router.get("/me")
def me(user: CurrentUser) -> UserPublic:
    """The logged-in user."""
    return _public(user)
