"""Errors raised by churnguard.

Every error subclasses :class:`ChurnguardError` and a builtin, so callers may catch either.
The message always says what is wrong, what was received and how to fix it; the CLI prints it
as one red line and the web API returns it as ``{"detail": ..., "code": ...}``.
"""

from __future__ import annotations


class ChurnguardError(Exception):
    """Base class of every error churnguard raises on purpose.

    ``i18n`` is optional: ``(catalogue key, parameters)`` for a page to show the message in
    the reader's language (see ``churnguard.i18n.translate_message``); the English text stays
    the message everywhere else.
    """

    code = "churnguard_error"
    i18n: tuple[str, dict[str, object]] | None = None

    def localized(self, message_key: str, /, **params: object) -> ChurnguardError:
        """This error with its catalogue message attached; returns ``self`` to raise."""
        self.i18n = (message_key, params)
        return self


class WorkspaceError(ChurnguardError, FileNotFoundError):
    """A workspace folder is missing, incomplete or already exists."""

    code = "workspace_error"


class SchemaError(ChurnguardError, ValueError):
    """Data does not fit the canonical schema (missing column, wrong type, duplicate key)."""

    code = "schema_error"


class DataImportError(ChurnguardError, ValueError):
    """A source could not be read or failed validation; nothing was written."""

    code = "import_error"

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class NotFittedError(ChurnguardError, AttributeError):
    """A model was used before ``fit``."""

    code = "not_fitted"


class ConvergenceError(ChurnguardError, ValueError):
    """A model fit did not converge."""

    code = "convergence_error"


class ConfigError(ChurnguardError, ValueError):
    """The workspace settings (``churnguard.toml``) are invalid."""

    code = "config_error"
