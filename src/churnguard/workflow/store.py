"""Open the app store of a workspace (migrated to the latest schema).

Examples
--------
>>> import tempfile
>>> from churnguard import Workspace
>>> ws = Workspace.create(tempfile.mkdtemp() + "/shop")
>>> factory = open_store(ws)
>>> with session_scope(factory) as session:
...     session.query(models.User).count()
0
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from churnguard.workflow import models
from churnguard.workflow.db import make_engine, make_sessionmaker, migrate, session_scope

__all__ = ["models", "open_store", "session_scope"]


def open_store(ws: Any = None, *, database_url: str | None = None) -> sessionmaker[Session]:
    """A session factory on the app database of ``ws`` (or ``database_url``), migrated first."""
    url = database_url or ws.app_database_url
    engine = make_engine(url)
    migrate(engine)
    return make_sessionmaker(engine)
