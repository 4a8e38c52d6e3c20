"""Cookie signing, CSRF protection and the web settings.

* The session cookie ``cg_session`` carries the session token signed with the app secret
  (itsdangerous); the server keeps only a hash of the token and its expiry
  (:mod:`churnguard.workflow.services.auth`), so logout and expiry are enforced server side.
* CSRF: double-submit token. Every response carries a signed random ``cg_csrf`` cookie; a state
  changing request that is not JSON (a form post, an htmx post) must echo it in the form field
  ``csrf_token`` or the ``X-CSRF-Token`` header. JSON requests cannot be sent cross-site without
  a CORS preflight (which this app never grants), so they need no token.
* Passwords are hashed with argon2id (:func:`hash_password`), failed logins are rate limited.

Examples
--------
>>> signer = CookieSigner("k")
>>> signer.loads(signer.dumps("abc"))
'abc'
>>> signer.loads("tampered") is None
True
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import Request
from itsdangerous import BadSignature, URLSafeSerializer

from churnguard.workflow.errors import PermissionDeniedError
from churnguard.workflow.services.auth import LoginPolicy, hash_password, verify_password

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "CSRF_HEADER", "SESSION_COOKIE", "CookieSigner",
           "CsrfError", "WebSettings", "csrf_token", "hash_password", "verify_csrf",
           "verify_password"]

SESSION_COOKIE = "cg_session"
CSRF_COOKIE = "cg_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


@dataclass(frozen=True)
class WebSettings:
    """Settings of the web app. ``secret_key`` signs cookies (a random one per process when
    empty: sessions then end on restart); every ``escalation_minutes`` the running server
    escalates overdue complaints (0: only ``churnguard sync`` does)."""

    secret_key: str = ""
    session_hours: float = 12
    secure_cookies: bool = False
    page_size: int = 50
    max_page_size: int = 500
    escalation_minutes: float = 5
    login_policy: LoginPolicy = field(default_factory=LoginPolicy)

    def policy(self) -> LoginPolicy:
        """The login policy with this app's session lifetime."""
        return LoginPolicy(max_failures=self.login_policy.max_failures,
                           max_failures_per_ip=self.login_policy.max_failures_per_ip,
                           window=self.login_policy.window,
                           session_lifetime=timedelta(hours=self.session_hours))


class CookieSigner:
    """Signs and checks cookie values with the app secret."""

    def __init__(self, secret_key: str) -> None:
        self.secret_key = secret_key
        self._serializer = URLSafeSerializer(secret_key, salt="churnguard-cookie")

    def dumps(self, value: str) -> str:
        return self._serializer.dumps(value)

    def loads(self, signed: str | None) -> str | None:
        if not signed:
            return None
        try:
            value = self._serializer.loads(signed)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None


def csrf_token(request: Request) -> str:
    """The CSRF token to put in a form's hidden ``csrf_token`` field (or an htmx header).

    Templates: ``<input type="hidden" name="csrf_token" value="{{ csrf_token(request) }}">``.
    The middleware sets the matching cookie on the response when it is new.
    """
    token = getattr(request.state, "csrf_token", None)
    if token is None:
        signer: CookieSigner = request.app.state.signer
        token = signer.loads(request.cookies.get(CSRF_COOKIE)) and request.cookies[CSRF_COOKIE]
        if not token:
            token = signer.dumps(secrets.token_urlsafe(16))
        request.state.csrf_token = token
    return token


class CsrfError(PermissionDeniedError):
    """A state-changing form post without a valid CSRF token (HTTP 403)."""

    code = "csrf_failed"


def _exempt(request: Request) -> bool:
    """JSON bodies, and API calls without any body (e.g. ``POST /api/auth/logout``)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        return True
    headers = request.headers
    no_body = headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers
    return not kind and no_body and request.url.path.startswith("/api/")


async def verify_csrf(request: Request) -> None:
    """App-wide dependency: refuse a non-JSON state-changing request without the CSRF token."""
    if request.method in _SAFE_METHODS or _exempt(request):
        return
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    signer: CookieSigner = request.app.state.signer
    if not cookie or not sent or not secrets.compare_digest(cookie, sent) \
            or signer.loads(cookie) is None:
        raise CsrfError("the form's CSRF token is missing or stale. Reload the "
                                    "page and submit again.")
