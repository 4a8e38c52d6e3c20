"""Indexes for the worklist, today's tasks and the case list; planner statistics.

- ``customers (owner_id, profit_at_risk DESC, p_churn DESC, id)``: a rep's book page by page
  in the worklist's order without sorting it (a 50,000-customer book: ~20 ms → 0.1 ms);
- ``customers (profit_at_risk DESC, p_churn DESC, id)``: the same for managers and admins,
  who read everyone's order and keep their team's rows;
- ``customers (owner_id, status)``: the book's size (count) from the index alone;
- ``tasks (owner_id, status, due_date)``: an owner's open tasks due by today;
- ``risk_cases (owner_id, value_at_risk DESC, id)``: an owner's cases, most value first.

``DESC`` sorts NULLs last as the queries ask (``NULLS LAST``): PostgreSQL is told so, SQLite
does it by itself and has no such clause in CREATE INDEX. ``ANALYZE`` at the end gives SQLite's
planner the statistics it needs to choose these (and the existing ``care_events (event_date)``
index for the care calendar) over a scan of the owner's whole book; sync runs it again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _indexes() -> list[tuple[str, str, list]]:
    desc = "DESC NULLS LAST" if op.get_bind().dialect.name == "postgresql" else "DESC"
    return [
        ("ix_customers_owner_worklist", "customers",
         ["owner_id", sa.text(f"profit_at_risk {desc}"), sa.text(f"p_churn {desc}"), "id"]),
        ("ix_customers_worklist", "customers",
         [sa.text(f"profit_at_risk {desc}"), sa.text(f"p_churn {desc}"), "id"]),
        ("ix_customers_owner_status", "customers", ["owner_id", "status"]),
        ("ix_tasks_owner_status_due", "tasks", ["owner_id", "status", "due_date"]),
        ("ix_risk_cases_owner_value", "risk_cases",
         ["owner_id", sa.text(f"value_at_risk {desc}"), "id"]),
    ]


def upgrade() -> None:
    for name, table, columns in _indexes():
        op.create_index(name, table, columns, unique=False)
    op.execute("ANALYZE")


def downgrade() -> None:
    for name, table, _columns in reversed(_indexes()):
        op.drop_index(name, table_name=table)
