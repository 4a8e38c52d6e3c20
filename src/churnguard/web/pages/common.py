"""What every page shares: templates, language, the workspace, warehouse access, formatting."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from churnguard.i18n import (
    COOKIE_NAME,
    LANGUAGE_NAMES,
    LANGUAGES,
    format_number,
    negotiate_language,
    translate_value,
    translator,
)
from churnguard.web.pages import admin_text
from churnguard.workflow.services.tasks import task_title

if TYPE_CHECKING:
    from collections.abc import Iterator

    from churnguard.workflow.models import User
    from churnguard.workspace import Workspace

TEMPLATES = Jinja2Templates(
    directory=str(resources.files("churnguard.web").joinpath("templates")))
TEMPLATES.env.filters["code"] = admin_text.code_markup
TEMPLATES.env.globals.update(rule_condition=admin_text.rule_condition,
                             playbook_summary=admin_text.playbook_summary)
HOME_BY_ROLE = {"admin": "/dashboard", "manager": "/dashboard", "rep": "/my-customers"}
NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/dashboard", "nav.dashboard", ("admin", "manager")),
    ("/team", "nav.team", ("admin", "manager")),
    ("/my-customers", "nav.worklist", ("admin", "manager", "rep")),
    ("/customers", "nav.customers", ("admin", "manager", "rep")),
    ("/complaints", "nav.complaints", ("admin", "manager", "rep")),
    ("/campaigns", "nav.campaigns", ("admin", "manager")),
    ("/archive", "nav.archive", ("admin", "manager", "rep")),
    ("/improvements", "nav.improvements", ("admin", "manager")),
    ("/admin", "nav.admin", ("admin", "manager")),
)
_FALLBACK_LOCK = threading.Lock()


def language(request: Request) -> str:
    """The request's language (query ``lang``, cookie ``lang``, then Accept-Language)."""
    cached = getattr(request.state, "lang", None)
    if cached:
        return cached
    lang = negotiate_language(request.headers.get("accept-language"),
                              cookie=request.cookies.get(COOKIE_NAME),
                              query=request.query_params.get("lang"))
    request.state.lang = lang
    return lang


def workspace(request: Request) -> Workspace | None:
    """The app's workspace (None when the app runs on an app database alone)."""
    return getattr(request.app.state, "workspace", None)


@contextmanager
def warehouse(request: Request) -> Iterator[Workspace | None]:
    """The workspace, with the app's warehouse lock held (connections are not thread-safe)."""
    lock = getattr(request.app.state, "warehouse_lock", None) or _FALLBACK_LOCK
    with lock:
        yield workspace(request)


def home_for(user: User) -> str:
    """Where ``user`` lands after login: dashboard for managers/admins, worklist for reps."""
    return HOME_BY_ROLE.get(user.role, "/my-customers")


def safe_next(target: str | None, default: str) -> str:
    """A local redirect target (never another site)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return default


def to_json(value: Any) -> str:
    """JSON for a ``data-`` attribute (dates as ISO strings, numpy scalars as numbers)."""
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def money(value: Any) -> str:
    """Money for display: ``¥1,235``."""
    text = format_number(value)
    return text if text == "–" else f"¥{text}"


def day(value: Any) -> str:
    """A date (or timestamp) as YYYY-MM-DD."""
    if value is None or value != value:
        return "–"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    return str(value)[:10]


def value_labeler(request: Request, lang: str) -> Any:
    """``tv(field, value)`` for templates: a data value in ``lang`` (see
    :func:`churnguard.i18n.translate_value`); ``reason`` codes are named by the workspace's
    reason taxonomy (built-in names, its own reasons and relabels)."""
    from churnguard.reasons.taxonomy import default_taxonomy, taxonomy_from_settings

    ws = workspace(request)
    taxonomy = (taxonomy_from_settings(ws.settings.section("reasons")) if ws is not None
                else default_taxonomy())

    def tv(field: str, value: Any) -> str:
        if field == "reason" and value in taxonomy:
            return taxonomy.label(value, lang=lang)
        return translate_value(field, value, lang)

    return tv


def render(request: Request, template: str, user: User | None = None, *,
           status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the shared context (user, language, ``t``, navigation)."""
    lang = language(request)
    try:
        from churnguard.web.security import csrf_token

        token = csrf_token(request)
    except Exception:  # the app without the workflow service (tests of pages alone)
        token = ""
    base = {
        "request": request, "user": user, "lang": lang, "t": translator(lang),
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "nav": [(href, key) for href, key, roles in NAV if user and user.role in roles],
        "path": request.url.path, "csrf": token, "pct": lambda v: format_number(v, percent=True),
        "num": format_number, "money": money, "day": day, "to_json": to_json,
        "today": date.today(), "task_title": lambda task: task_title(task, lang),
        "tv": value_labeler(request, lang),
    }
    base.update(context)
    return TEMPLATES.TemplateResponse(request, template, base, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    """A 303 (see other) after a form post."""
    return RedirectResponse(url, status_code=303)


def week_ahead(today: date | None = None) -> tuple[date, date]:
    """Today and the same weekday a week later."""
    start = today or date.today()
    return start, start + timedelta(days=7)


def page_role(*roles: str) -> Any:
    """A page dependency: the logged-in user when their role is one of ``roles`` (403 else;
    a visitor is sent to the login form)."""
    from fastapi import Depends

    from churnguard.web.deps import current_user_or_redirect
    from churnguard.workflow.errors import PermissionDeniedError

    def check(user: Any = Depends(current_user_or_redirect)) -> Any:
        if user.role not in roles:
            raise PermissionDeniedError(
                f"this page needs the role {' or '.join(roles)}; you are {user.role!r}."
            ).localized("error.role_needed", roles=tuple(f"role.{r}" for r in roles),
                        role_key=f"role.{user.role}")
        return user

    check.__name__ = f"page_{'_or_'.join(roles)}"
    return Depends(check)
