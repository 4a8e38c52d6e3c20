"""The schema's later revisions: every index the models declare exists after migrating (on
SQLite and PostgreSQL), revisions go down and up again, and the worklist's queries use the
indexes instead of sorting a rep's whole book."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.dialects import sqlite

from churnguard.workflow import make_engine, migrate
from churnguard.workflow.db import alembic_config
from churnguard.workflow.models import Base, Customer, Task
from churnguard.workflow.services.auth import create_user
from churnguard.workflow.services.playbooks import parse_playbooks, run_playbooks
from churnguard.workflow.services.worklist import list_query, list_sizes, sizes_query

WORKLIST_INDEXES = {"ix_customers_owner_worklist", "ix_customers_worklist",
                    "ix_customers_owner_winback", "ix_customers_winback",
                    "ix_customers_owner_status", "ix_tasks_owner_status_due",
                    "ix_risk_cases_owner_value"}


def _indexes(url: str) -> dict[str, set[str]]:
    engine = make_engine(url)
    found = {t.name: {i["name"] for i in inspect(engine).get_indexes(t.name)}
             for t in Base.metadata.sorted_tables}
    engine.dispose()
    return found


def test_every_index_the_models_declare_is_in_the_migrated_database(store_url):
    found = _indexes(store_url)
    declared = {t.name: {i.name for i in t.indexes} for t in Base.metadata.sorted_tables}
    missing = {t: sorted(names - found[t]) for t, names in declared.items() if names - found[t]}
    assert missing == {}
    assert set().union(*declared.values()) >= WORKLIST_INDEXES


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def empty_url(request, tmp_path):
    """A database with no schema yet (its own PostgreSQL schema, dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    base = request.getfixturevalue("pg_url")
    schema = f"cg_mig_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{base}?options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_revisions_go_down_to_the_first_and_up_again(empty_url):
    migrate(empty_url)
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    columns = {c["name"] for c in inspect(engine).get_columns("tasks")}
    assert "title_key" not in columns
    assert not {"lifecycle", "value_if_retained"} & {
        c["name"] for c in inspect(engine).get_columns("customers")}
    assert not WORKLIST_INDEXES & {i["name"] for t in ("customers", "tasks", "risk_cases")
                                   for i in inspect(engine).get_indexes(t)}
    engine.dispose()
    migrate(empty_url)
    assert set().union(*_indexes(empty_url).values()) >= WORKLIST_INDEXES


def _plan(db, query) -> str:  # noqa: ANN001
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    return " | ".join(row[-1] for row in db.execute(text("EXPLAIN QUERY PLAN " + sql)))


def test_worklist_queries_read_the_indexes_in_order(store):
    with store() as db:
        rep = create_user(db, "ann", "pw-ann-12", role="rep")
        db.add_all([Customer(id=f"c{i:03d}", owner_id=rep.id, profit_at_risk=float(i % 37),
                             value_if_retained=float(i % 11) * 100, p_churn=(i % 10) / 10,
                             risk_band="high", status="active",
                             lifecycle="lapsing" if i % 5 == 0 else "active",
                             scored_as_of=date(2024, 6, 1)) for i in range(300)])
        db.flush()
        run_playbooks(db, parse_playbooks({}), today=date(2024, 6, 1))
        db.execute(text("ANALYZE"))
        page = list_query(rep, "save").limit(25)
        # profit 36 for i = 36, 73, 110, 147, 184, 221, 258, 295 (110 and 295 lapsing); of the
        # others value (i % 11 · 100) 800 (184), 700 (73), 500 (258), 400 (147), 300 (36),
        # 100 (221): value decides the tie, never p_churn or the id
        assert [c.id for c in db.scalars(page)][:6] == ["c184", "c073", "c258", "c147", "c036",
                                                       "c221"]
        lapsing = list_query(rep, "lapsing").limit(25)
        # lapsing: i % 5 == 0; value 1000 for i % 11 == 10: 10, 65, 120, 175, 230, 285
        assert [c.id for c in db.scalars(lapsing)][:6] == ["c010", "c065", "c120", "c175",
                                                           "c230", "c285"]
        if db.bind.dialect.name == "postgresql":  # the index serves the order as declared:
            db.execute(text("SET LOCAL enable_seqscan = off"))  # no Sort node even when
            db.execute(text("SET LOCAL enable_sort = off"))  # the table is too small to care
            # every row is the rep's, so the planner may take the owner's index or the
            # global one of the same order; either serves the page without sorting
            for query, index in ((page, "_worklist"), (lapsing, "_winback")):
                sql = str(query.compile(dialect=db.bind.dialect,
                                        compile_kwargs={"literal_binds": True}))
                plan = " | ".join(row[0] for row in db.execute(text("EXPLAIN " + sql)))
                assert f"{index} on customers" in plan and "Sort" not in plan, plan
            return
        assert _plan(db, page) == "SEARCH customers USING INDEX ix_customers_owner_worklist " \
                                  "(owner_id=? AND lifecycle=?)"  # no "TEMP B-TREE"
        assert _plan(db, lapsing) == "SEARCH customers USING INDEX ix_customers_owner_winback " \
                                     "(owner_id=? AND lifecycle=?)"
        assert _plan(db, sizes_query(rep)) == "SEARCH customers USING COVERING INDEX " \
                                               "ix_customers_owner_status (owner_id=?)"
        assert list_sizes(db, rep) == {"save": 240, "lapsing": 60}
        tasks = select(Task).where(Task.owner_id == rep.id, Task.status == "open",
                                   Task.due_date <= date(2024, 6, 30))
        assert "ix_tasks_owner_status_due" in _plan(db, tasks)
