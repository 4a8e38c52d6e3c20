"""Login, logout, the language switch and ``/`` (which sends each role to its home page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from churnguard.i18n import COOKIE_NAME, LANGUAGES, translate
from churnguard.web.deps import DbSession, optional_user
from churnguard.web.pages.common import home_for, language, redirect, render, safe_next
from churnguard.workflow.errors import AuthenticationError, RateLimitedError
from churnguard.workflow.models import User

router = APIRouter()
MaybeUser = Annotated[User | None, Depends(optional_user)]


@router.get("/")
def home(user: MaybeUser) -> Response:
    """The login form for visitors; the role's home page for a logged-in user."""
    return redirect(home_for(user) if user else "/login")


@router.get("/login")
def login_form(request: Request, user: MaybeUser, next: str | None = None) -> Response:
    """The login form (fields ``username`` and ``password``)."""
    if user is not None:
        return redirect(safe_next(next, home_for(user)))
    return render(request, "login.html", None, next=next)


@router.post("/login")
def login(request: Request, db: DbSession, username: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "") -> Response:
    """Check the password, set the session cookie and go to the role's home page."""
    from churnguard.web.api.auth import start_session

    lang = language(request)
    response = redirect("/")
    try:
        user = start_session(request, response, db, username.strip(), password)
    except RateLimitedError:
        return render(request, "login.html", None, status_code=429, username=username,
                      next=next, error=translate("login.rate_limited", lang))
    except AuthenticationError:
        return render(request, "login.html", None, status_code=401, username=username,
                      next=next, error=translate("login.failed", lang))
    response.headers["location"] = safe_next(next, home_for(user))
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession) -> Response:
    """End the session and show the login form."""
    from churnguard.web.api.auth import end_session

    response = redirect("/login")
    end_session(request, response, db)
    return response


@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = None) -> Response:
    """Remember the chosen language (cookie ``lang``) and go back to the page."""
    response = redirect(safe_next(next, "/"))
    if code in LANGUAGES:
        response.set_cookie(COOKIE_NAME, code, max_age=365 * 24 * 3600, samesite="lax")
    return response
