"""Task titles as messages: ``tasks.title_key`` and ``tasks.title_params``.

A task the system creates stores a catalogue key and its parameters, so each reader sees the
title in their own language; ``title`` keeps the English text (and a person's own text) as the
fallback. Tasks created before this revision keep their stored title only.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_key', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('title_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('title_params')
        batch_op.drop_column('title_key')
