"""The profile page (个人设置): a person's display name, email address, language and the
channels their daily digest and alerts come through."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from churnguard.i18n import LANGUAGES, translate
from churnguard.web.deps import DbSession, PageUser
from churnguard.web.pages.common import language, redirect, render, workspace
from churnguard.workflow.channels import CHANNELS, NotifySettings
from churnguard.workflow.models import User
from churnguard.workflow.services.profile import update_profile

router = APIRouter()


def _configured(request: Request) -> tuple[str, ...]:
    ws = workspace(request)
    if ws is None:
        return ()
    return NotifySettings.from_section(ws.settings.section("notify")).channels()


@router.get("/profile")
def profile(request: Request, user: PageUser, saved: bool = False) -> Response:
    """The form; channels not configured in ``[notify]`` are shown but cannot be chosen."""
    chosen = user.notify_channels if user.notify_channels is not None else ["email"]
    return render(
        request,
        "profile.html",
        user,
        channels=CHANNELS,
        configured=_configured(request),
        chosen=chosen,
        languages_list=LANGUAGES,
        flash=translate("profile.saved", language(request)) if saved else None,
    )


@router.post("/profile")
def save_profile(
    user: PageUser,
    db: DbSession,
    display_name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    lang: Annotated[str, Form(alias="language", max_length=8)] = "",
    channel: Annotated[list[str] | None, Form(max_length=20)] = None,
) -> Response:
    """Save the profile (audited); a bad address or channel is a clear error."""
    me = db.get(User, user.id)
    assert me is not None
    update_profile(
        db,
        me,
        display_name=display_name,
        email=email,
        language=lang or None,
        notify_channels=channel or [],
    )
    return redirect("/profile?saved=1")
