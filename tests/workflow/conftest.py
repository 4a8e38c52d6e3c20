"""Fixtures of the workflow tests (see :mod:`tests.workflow.stores`)."""

from tests.workflow.stores import db, pg_schema_url, sqlite_template, store, store_url  # noqa: F401
