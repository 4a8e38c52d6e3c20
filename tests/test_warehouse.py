"""The warehouse's derived-table cache."""

from __future__ import annotations

import ibis
import pyarrow as pa

from churnguard.warehouse import DERIVED_TABLES_KEPT, Warehouse


def _warehouse() -> Warehouse:
    wh = Warehouse(ibis.duckdb.connect(), kind="duckdb")
    wh.replace("t", pa.table({"x": [1, 2, 3]}))
    return wh


def test_two_keys_with_the_same_expression_survive_the_eviction_of_one():
    wh = _warehouse()

    def build() -> ibis.Table:
        return wh.table("t").filter(wh.table("t").x > 1)

    wh.derived("plain", build, tables=["t"])
    wh.derived(("scoped", "plain"), build, tables=["t"])  # ibis shares one engine table
    for i in range(DERIVED_TABLES_KEPT - 1):  # pushes "plain" out, keeps ("scoped", "plain")
        wh.derived(("other", i), lambda i=i: wh.table("t").mutate(y=i), tables=["t"])
    assert "plain" not in wh._derived
    assert wh.derived(("scoped", "plain"), build, tables=["t"]).count().execute() == 2


def test_a_table_no_key_uses_is_dropped():
    wh = _warehouse()
    first = wh.derived("first", lambda: wh.table("t").mutate(y=0), tables=["t"])
    name = first.op().name
    for i in range(DERIVED_TABLES_KEPT):
        wh.derived(("other", i), lambda i=i: wh.table("t").mutate(y=i + 1), tables=["t"])
    assert name not in wh.con.list_tables()


def test_forget_and_writes_drop_shared_tables_once():
    wh = _warehouse()

    def build() -> ibis.Table:
        return wh.table("t").filter(wh.table("t").x > 1)

    shared = wh.derived("a", build, tables=["t"]).op().name
    wh.derived("b", build, tables=["t"])
    wh.replace("t", pa.table({"x": [5]}))  # both keys are stale: the table goes, no error
    assert shared not in wh.con.list_tables()
    assert wh.derived("a", build, tables=["t"]).count().execute() == 1
    wh.derived("b", build, tables=["t"])
    wh.forget_derived()
    assert not [t for t in wh.con.list_tables() if t.startswith("ibis_cached")]
