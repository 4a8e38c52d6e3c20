"""``/api/auth``: log in (sets the session cookie), log out, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from churnguard.web.deps import CurrentUser, DbSession
from churnguard.web.security import SESSION_COOKIE, CookieSigner
from churnguard.workflow.errors import AuthenticationError
from churnguard.workflow.models import User
from churnguard.workflow.services import auth

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    username: str
    password: str


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
    ip = request.client.host if request.client else None
    try:
        user, token = auth.login(db, username, password, ip=ip, policy=settings.policy())
    except AuthenticationError:
        db.commit()  # keep the failed attempt: the rate limit counts it
        raise
    signer: CookieSigner = request.app.state.signer
    response.set_cookie(SESSION_COOKIE, signer.dumps(token), httponly=True, samesite="lax",
                        secure=settings.secure_cookies,
                        max_age=int(settings.session_hours * 3600))
    return user


def end_session(request: Request, response: Response, db: DbSession) -> None:
    """End the server-side session and clear the cookie."""
    signer: CookieSigner = request.app.state.signer
    token = signer.loads(request.cookies.get(SESSION_COOKIE))
    if token:
        auth.logout(db, token)
    response.delete_cookie(SESSION_COOKIE)


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
