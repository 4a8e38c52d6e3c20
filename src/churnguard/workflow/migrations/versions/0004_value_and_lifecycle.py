"""The save list and the win-back list: ``customers.value_if_retained`` and ``lifecycle``.

The risk score now says what a customer is worth if kept (``value_if_retained``) and whether
they are still ``active`` or already ``lapsing`` (past most of the churn window). The worklist
is two lists: the save list (``lifecycle = 'active'``) by profit at risk, ties by value, and the
win-back list (``'lapsing'``) by value. The worklist indexes of 0003 are replaced by ones that
serve both orders page by page without sorting a book:

- ``customers (owner_id, lifecycle, profit_at_risk DESC, value_if_retained DESC, id)`` and
  ``(lifecycle, profit_at_risk DESC, value_if_retained DESC, id)``: a rep's / everyone's save list;
- ``customers (owner_id, lifecycle, value_if_retained DESC, id)`` and
  ``(lifecycle, value_if_retained DESC, id)``: the win-back lists;
- ``customers (owner_id, lifecycle, status)``: each list's size from the index alone.

Existing rows become ``active`` until the next sync brings their lifecycle. ``DESC`` sorts NULLs
last as the queries ask (``NULLS LAST``): PostgreSQL is told so, SQLite does it by itself.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _desc() -> str:
    return "DESC NULLS LAST" if op.get_bind().dialect.name == "postgresql" else "DESC"


def _old_indexes() -> list[tuple[str, list]]:
    desc = _desc()
    return [
        ("ix_customers_owner_worklist",
         ["owner_id", sa.text(f"profit_at_risk {desc}"), sa.text(f"p_churn {desc}"), "id"]),
        ("ix_customers_worklist",
         [sa.text(f"profit_at_risk {desc}"), sa.text(f"p_churn {desc}"), "id"]),
        ("ix_customers_owner_status", ["owner_id", "status"]),
    ]


def _new_indexes() -> list[tuple[str, list]]:
    desc = _desc()
    profit, value = sa.text(f"profit_at_risk {desc}"), sa.text(f"value_if_retained {desc}")
    return [
        ("ix_customers_owner_worklist", ["owner_id", "lifecycle", profit, value, "id"]),
        ("ix_customers_worklist", ["lifecycle", profit, value, "id"]),
        ("ix_customers_owner_winback", ["owner_id", "lifecycle", value, "id"]),
        ("ix_customers_winback", ["lifecycle", value, "id"]),
        ("ix_customers_owner_status", ["owner_id", "lifecycle", "status"]),
    ]


def upgrade() -> None:
    for name, _columns in _old_indexes():
        op.drop_index(name, table_name="customers")
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('value_if_retained', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('lifecycle', sa.String(length=20), nullable=False,
                                      server_default='active'))
    for name, columns in _new_indexes():
        op.create_index(name, "customers", columns, unique=False)
    op.execute("ANALYZE")


def downgrade() -> None:
    for name, _columns in reversed(_new_indexes()):
        op.drop_index(name, table_name="customers")
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('lifecycle')
        batch_op.drop_column('value_if_retained')
    for name, columns in _old_indexes():
        op.create_index(name, "customers", columns, unique=False)
