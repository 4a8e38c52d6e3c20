"""Errors raised by the workflow services (each maps to one HTTP status in the web API)."""

from __future__ import annotations

from churnguard.errors import ChurnguardError


class NotFoundError(ChurnguardError, LookupError):
    """A record does not exist (HTTP 404)."""

    code = "not_found"


class PermissionDeniedError(ChurnguardError, PermissionError):
    """The user may not see or change this record (HTTP 403)."""

    code = "forbidden"


class AuthenticationError(ChurnguardError, PermissionError):
    """Wrong user name or password, or no valid session (HTTP 401)."""

    code = "unauthorized"


class RateLimitedError(ChurnguardError, PermissionError):
    """Too many failed logins in the window (HTTP 429)."""

    code = "rate_limited"


class ConflictError(ChurnguardError, RuntimeError):
    """The record changed since the caller read it, or a unique value is taken (HTTP 409)."""

    code = "conflict"


class InvalidInputError(ChurnguardError, ValueError):
    """A value is not allowed (HTTP 422)."""

    code = "invalid"
