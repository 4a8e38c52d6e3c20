"""A person's own settings (个人设置): display name, email address, language and the channels
their digests and alerts come through.

Examples
--------
>>> check_email(" Ann@Example.com ")
'Ann@Example.com'
>>> check_channels(["wecom", "email", "wecom"])
['email', 'wecom']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from churnguard.i18n import LANGUAGES
from churnguard.workflow.channels import CHANNELS
from churnguard.workflow.errors import InvalidInputError
from churnguard.workflow.models import User

EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,189}\.[A-Za-z]{2,}$")
UNSET = object()


def check_email(value: str | None) -> str | None:
    """An email address as typed (trimmed), ``None`` for empty; a clear error when it is not
    one address."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > 254 or not EMAIL.match(text):
        raise InvalidInputError(f"email {text[:80]!r} is not an address like name@example.com.")
    return text


def check_channels(values: Iterable[str]) -> list[str]:
    """Known channel names, each once, in :data:`~churnguard.workflow.channels.CHANNELS`
    order."""
    chosen = {str(v).strip() for v in values if str(v).strip()}
    unknown = chosen - set(CHANNELS)
    if unknown:
        raise InvalidInputError(
            f"channel(s) {', '.join(sorted(unknown))} not one of {', '.join(CHANNELS)}."
        )
    return [c for c in CHANNELS if c in chosen]


def update_profile(
    session: Session,
    user: User,
    *,
    display_name: Any = UNSET,
    email: Any = UNSET,
    language: Any = UNSET,
    notify_channels: Any = UNSET,
) -> User:
    """Change the given fields of ``user`` (audited like every user change)."""
    if display_name is not UNSET:
        name = (display_name or "").strip()
        if len(name) > 200:
            raise InvalidInputError("a display name has at most 200 characters.")
        user.display_name = name or None
    if email is not UNSET:
        user.email = check_email(email)
    if language is not UNSET:
        if language not in (None, "", *LANGUAGES):
            raise InvalidInputError(f"language {language!r} is not one of {', '.join(LANGUAGES)}.")
        user.language = language or None
    if notify_channels is not UNSET:
        user.notify_channels = None if notify_channels is None else check_channels(notify_channels)
    session.flush()
    return user
