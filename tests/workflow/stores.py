"""App-store fixtures shared by the workflow and web tests: a migrated database on SQLite and
on PostgreSQL (each test isolated: SQLite gets a fresh copy of a migrated file, PostgreSQL a
migrated schema of its own that is emptied after every test)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from churnguard.workflow import make_engine, make_sessionmaker, migrate
from churnguard.workflow.models import Base
from churnguard.workflow.services.auth import use_fast_hashing

use_fast_hashing()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per test session."""
    path = tmp_path_factory.mktemp("store") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_schema_url(pg_url: str) -> Iterator[str]:
    """A PostgreSQL URL whose search path is a fresh schema migrated to head."""
    schema = f"cg_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{pg_url}?options=-csearch_path%3D{schema}"
    migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _empty(engine: object) -> None:
    """Delete every row (triggers off, so the append-only audit log can be emptied too);
    much faster than TRUNCATE on a handful of rows."""
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f'DELETE FROM "{table.name}"'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated app store: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "app.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_schema_url")
    yield url
    engine = make_engine(url)
    _empty(engine)
    engine.dispose()


@pytest.fixture
def store(store_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on the empty store (audited sessions)."""
    engine = make_engine(store_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def db(store: sessionmaker[Session]) -> Iterator[Session]:
    """One session on the empty store, rolled back at the end."""
    session = store()
    yield session
    session.rollback()
    session.close()
