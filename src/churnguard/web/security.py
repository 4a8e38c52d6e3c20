"""Cookie signing, CSRF protection and the web settings.

* The session cookie ``cg_session`` carries the session token signed with the app secret
  (itsdangerous); the server keeps only a hash of the token and its expiry
  (:mod:`churnguard.workflow.services.auth`), so logout and expiry are enforced server side.
* CSRF: double-submit token tied to the session. Every response carries a signed ``cg_csrf``
  cookie holding a random nonce and a digest of the session cookie it was issued for; a state
  changing request that is not JSON (a form post, an htmx post) must echo it in the form field
  ``csrf_token`` or the ``X-CSRF-Token`` header, and it is only valid with that session (a
  token planted before a login, or taken from another session, is refused). JSON requests
  cannot be sent cross-site without a CORS preflight (which this app never grants), so they
  need no token.
* Passwords are hashed with argon2id (:func:`hash_password`), failed logins are rate limited
  per user name and address (:func:`client_ip`: ``X-Forwarded-For`` counts only when the
  direct peer is one of the configured ``trusted_proxies``).
* Security headers (:data:`SECURITY_HEADERS`) and a body-size limit for JSON and form bodies
  (``max_body_bytes``) are applied by the app's middleware.

Examples
--------
>>> signer = CookieSigner("k")
>>> signer.loads(signer.dumps("abc"))
'abc'
>>> signer.loads("tampered") is None
True
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import Request
from itsdangerous import BadSignature, URLSafeSerializer

from churnguard.workflow.errors import PermissionDeniedError
from churnguard.workflow.services.auth import LoginPolicy, hash_password, verify_password

__all__ = ["CSP", "CSRF_COOKIE", "CSRF_FIELD", "CSRF_HEADER", "SECURITY_HEADERS",
           "SESSION_COOKIE", "CookieSigner", "CsrfError", "WebSettings", "client_ip",
           "csrf_token", "hash_password", "new_csrf_token", "verify_csrf", "verify_password"]

SESSION_COOKIE = "cg_session"
CSRF_COOKIE = "cg_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
"""The pages' Content-Security-Policy: scripts only from the app's own files (the templates
have no inline script), no framing."""
SECURITY_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin"}
"""Headers on every response (``Content-Security-Policy`` too, except on the API docs pages,
whose Swagger and ReDoc scripts load from a CDN)."""


@dataclass(frozen=True)
class WebSettings:
    """Settings of the web app. ``secret_key`` signs cookies (a random one per process when
    empty: sessions then end on restart); every ``escalation_minutes`` the running server
    escalates overdue complaints (0: only ``churnguard sync`` does). ``secure_cookies`` marks
    cookies ``Secure`` (serve over HTTPS); ``trusted_proxies`` are the addresses (or networks)
    of reverse proxies whose ``X-Forwarded-For`` names the real client; JSON and form bodies
    over ``max_body_bytes`` are refused (413)."""

    secret_key: str = ""
    session_hours: float = 12
    secure_cookies: bool = False
    page_size: int = 50
    max_page_size: int = 500
    escalation_minutes: float = 5
    login_policy: LoginPolicy = field(default_factory=LoginPolicy)
    trusted_proxies: tuple[str, ...] = ()
    max_body_bytes: int = 1_000_000

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


def _session_digest(session_cookie: str | None) -> str:
    return hashlib.sha256((session_cookie or "").encode()).hexdigest()[:24]


def new_csrf_token(signer: CookieSigner, session_cookie: str | None) -> str:
    """A fresh signed CSRF token for the session whose cookie is ``session_cookie`` (``None``:
    a visitor without a session).

    Examples
    --------
    >>> signer = CookieSigner("k")
    >>> token = new_csrf_token(signer, "session-a")
    >>> csrf_valid(signer, token, "session-a"), csrf_valid(signer, token, "session-b")
    (True, False)
    """
    return signer.dumps(f"{secrets.token_urlsafe(16)}.{_session_digest(session_cookie)}")


def csrf_valid(signer: CookieSigner, token: str | None, session_cookie: str | None) -> bool:
    """Whether ``token`` is a CSRF token this app signed for that session."""
    value = signer.loads(token)
    return value is not None and value.rpartition(".")[2] == _session_digest(session_cookie)


def csrf_token(request: Request) -> str:
    """The CSRF token to put in a form's hidden ``csrf_token`` field (or an htmx header).

    Templates: ``<input type="hidden" name="csrf_token" value="{{ csrf_token(request) }}">``.
    The middleware sets the matching cookie on the response when it is new (a first visit, or
    the session changed since the cookie was issued).
    """
    token = getattr(request.state, "csrf_token", None)
    if token is None:
        signer: CookieSigner = request.app.state.signer
        session = request.cookies.get(SESSION_COOKIE)
        token = request.cookies.get(CSRF_COOKIE)
        if not csrf_valid(signer, token, session):
            token = new_csrf_token(signer, session)
        request.state.csrf_token = token
    return token


def client_ip(request: Request) -> str | None:
    """The client's address: the direct peer, or, when the peer is one of the app's
    ``trusted_proxies``, the nearest address in ``X-Forwarded-For`` that is not a trusted
    proxy (a client cannot choose its address by sending the header itself)."""
    peer = request.client.host if request.client else None
    trusted: tuple[str, ...] = request.app.state.settings.trusted_proxies
    if peer is None or not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _is_trusted(hop, trusted):
            return hop
    return peer


def _is_trusted(address: str, trusted: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


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
            or not csrf_valid(signer, cookie, request.cookies.get(SESSION_COOKIE)):
        raise CsrfError("the form's CSRF token is missing or stale. Reload the "
                                    "page and submit again.")
