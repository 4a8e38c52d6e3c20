"""Fixtures of the workflow tests (see :mod:`tests.workflow.stores`)."""

from tests.workflow.servers import smtp_server, webhook_server  # noqa: F401
from tests.workflow.stores import db, pg_schema_url, sqlite_template, store, store_url  # noqa: F401
