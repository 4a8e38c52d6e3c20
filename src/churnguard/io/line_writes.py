"""Write order lines with the orders and customers they imply, in one transaction (DuckDB).

``order_lines`` is replaced by the merged lines; the ``orders`` of every order id the lines hold
are replaced by those derived (a voided order disappears); customers the lines name for the
first time are added, existing ones are never touched. On DuckDB the three writes commit
together or not at all. Other backends write them one after the other.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from churnguard.io.schema import table_spec
from churnguard.warehouse import to_canonical_arrow

if TYPE_CHECKING:
    from churnguard.workspace import Workspace


def write_lines(
    ws: Workspace, lines: pd.DataFrame, orders: pd.DataFrame, customers: pd.DataFrame
) -> None:
    """Replace ``order_lines`` with ``lines``, the line orders with ``orders``, add
    ``customers``."""
    line_rows = to_canonical_arrow(lines, table_spec("order_lines"))
    order_rows = to_canonical_arrow(orders, table_spec("orders"))
    customer_rows = to_canonical_arrow(customers, table_spec("customers"))
    ids = pa.table({"order_id": line_rows["order_id"].unique()})
    wh = ws.warehouse
    if wh.kind != "duckdb":
        _write_one_by_one(ws, line_rows, order_rows, customer_rows, ids)
        return
    for name in ("order_lines", "orders", "customers"):
        wh._written(name)  # invalidates derived tables, marks the version for publishing
    raw = wh.con.con
    stages = {
        name: f"_cg_{name}_{uuid.uuid4().hex}" for name in ("lines", "orders", "customers", "ids")
    }
    for name, rows in zip(stages, (line_rows, order_rows, customer_rows, ids), strict=True):
        raw.register(stages[name], rows)
    try:
        raw.execute("BEGIN TRANSACTION")
        raw.execute(f'CREATE OR REPLACE TABLE "order_lines" AS SELECT * FROM {stages["lines"]}')
        for table, stage in (("orders", stages["orders"]), ("customers", stages["customers"])):
            raw.execute(f'CREATE TABLE IF NOT EXISTS "{table}" AS SELECT * FROM {stage} LIMIT 0')
        raw.execute(
            f'DELETE FROM "orders" WHERE order_id IN (SELECT order_id FROM {stages["ids"]})'
        )
        raw.execute(f'INSERT INTO "orders" BY NAME SELECT * FROM {stages["orders"]}')
        raw.execute(
            f'INSERT INTO "customers" BY NAME SELECT * FROM {stages["customers"]} s '
            f'WHERE s.customer_id NOT IN (SELECT customer_id FROM "customers")'
        )
        raw.execute("COMMIT")
    except BaseException:
        raw.execute("ROLLBACK")
        raise
    finally:
        for stage in stages.values():
            raw.unregister(stage)


def _write_one_by_one(
    ws: Workspace, line_rows: pa.Table, order_rows: pa.Table, customer_rows: pa.Table, ids: pa.Table
) -> None:
    import pyarrow.compute as pc

    wh = ws.warehouse
    wh.replace("order_lines", line_rows)
    stored = wh.read_arrow("orders")
    if stored.num_rows:
        stored = stored.cast(order_rows.schema)
        stored = stored.filter(pc.invert(pc.is_in(stored["order_id"], value_set=ids["order_id"])))
        order_rows = pa.concat_tables([stored, order_rows])
    wh.replace("orders", order_rows)
    if customer_rows.num_rows:
        wh.upsert("customers", customer_rows, key=("customer_id",))
