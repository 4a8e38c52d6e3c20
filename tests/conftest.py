"""Shared fixtures: workspaces, data folders, PostgreSQL and Spark."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from churnguard import Workspace

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PG_DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """An empty DuckDB workspace in a temporary folder."""
    ws = Workspace.create(tmp_path / "ws")
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of shared data sets (``../shared/data``); skips when absent."""
    folder = Path(os.environ.get("CHURNGUARD_SHARED_DATA", SHARED_DATA))
    if not folder.is_dir():
        pytest.skip(f"shared data folder {folder} is absent; set CHURNGUARD_SHARED_DATA")
    return folder


def _pg_reachable(url: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                             connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_url(request: pytest.FixtureRequest) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://…``) of a PostgreSQL server for tests.

    Order: ``CHURNGUARD_TEST_PG_URL``; the project machines' server at 127.0.0.1:5432; a
    throwaway server from local PostgreSQL binaries (pytest-postgresql). Otherwise skip, or
    fail when ``CHURNGUARD_REQUIRE_PG=1`` (as ``.ci/run`` sets).
    """
    candidates = [os.environ.get("CHURNGUARD_TEST_PG_URL"), PG_DEFAULT_URL]
    for url in filter(None, candidates):
        if _pg_reachable(url):
            return "postgresql+psycopg://" + url.split("://", 1)[1]
    url = _throwaway_pg(request)
    if url:
        return url
    message = ("PostgreSQL tests skipped: no server. Set CHURNGUARD_TEST_PG_URL="
               "postgresql://user@host:5432/db or install PostgreSQL binaries.")
    if os.environ.get("CHURNGUARD_REQUIRE_PG") == "1":
        pytest.fail(message.replace("skipped", "required (CHURNGUARD_REQUIRE_PG=1)"))
    pytest.skip(message)


def _throwaway_pg(request: pytest.FixtureRequest) -> str | None:
    pg_ctl = shutil.which("pg_ctl") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))), None
    )
    if not pg_ctl or os.geteuid() == 0:  # initdb refuses to run as root
        return None
    try:
        from pytest_postgresql.factories import postgresql_proc  # noqa: F401
    except ImportError:
        return None
    proc = request.getfixturevalue("postgresql_proc")
    return f"postgresql+psycopg://{proc.user}@{proc.host}:{proc.port}/{proc.dbname}"


@pytest.fixture(scope="session")
def spark():
    """One local PySpark session shared by every test (``local[2]``, ~15 s to start)."""
    pytest.importorskip("pyspark")
    from churnguard.warehouse import spark_session

    return spark_session()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep every Spark test on one xdist worker (one JVM), and browser tests on one too."""
    for item in items:
        if item.get_closest_marker("spark"):
            item.add_marker(pytest.mark.xdist_group("spark"))
        elif item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
