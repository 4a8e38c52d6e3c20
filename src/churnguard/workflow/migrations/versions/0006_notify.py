"""Reaching people: the ``outbox``, marketing opt-outs, users' and customers' addresses and
languages, and campaigns that create tasks and send messages.

- ``outbox``: one message per channel and recipient, with a unique ``dedupe_key`` (nothing is
  sent twice), its status, attempts, next attempt and last error;
- ``marketing_opt_outs``: each change of a customer's marketing consent, who or what made it;
- ``users.email``, ``language``, ``notify_channels``: where a person's digests and alerts go;
- ``customers.email``, ``language``, ``marketing_opt_out``, ``alerted_p_churn`` (the score the
  last risk-jump check saw);
- ``campaigns.create_tasks``, ``channel``, ``offer``, ``templates``, ``launched_at`` and
  ``campaign_members.task_id``, ``message_id``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('customer_id', sa.String(length=80), nullable=True),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_dedupe_key')),
    )
    op.create_index(op.f('ix_outbox_user_id'), 'outbox', ['user_id'], unique=False)
    op.create_index('ix_outbox_status_due', 'outbox', ['status', 'next_attempt_at'],
                    unique=False)
    op.create_table(
        'marketing_opt_outs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.String(length=80), nullable=False),
        sa.Column('opted_out', sa.Boolean(), nullable=False),
        sa.Column('source', sa.String(length=40), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['by_id'], ['users.id'],
                                name=op.f('fk_marketing_opt_outs_by_id_users')),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_marketing_opt_outs_customer_id_customers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_opt_outs')),
    )
    op.create_index(op.f('ix_marketing_opt_outs_customer_id'), 'marketing_opt_outs',
                    ['customer_id'], unique=False)
    # plain ADD COLUMN (no batch copy of the table): SQLite's batch mode rebuilds a table
    # and would drop the DESC of the worklist's expression indexes on customers
    for table, column in (
            ('users', sa.Column('email', sa.String(length=254), nullable=True)),
            ('users', sa.Column('language', sa.String(length=8), nullable=True)),
            ('users', sa.Column('notify_channels', sa.JSON(), nullable=True)),
            ('customers', sa.Column('email', sa.String(length=254), nullable=True)),
            ('customers', sa.Column('language', sa.String(length=8), nullable=True)),
            ('customers', sa.Column('marketing_opt_out', sa.Boolean(), nullable=False,
                                    server_default=sa.false())),
            ('customers', sa.Column('alerted_p_churn', sa.Float(), nullable=True)),
            ('campaigns', sa.Column('create_tasks', sa.Boolean(), nullable=False,
                                    server_default=sa.false())),
            ('campaigns', sa.Column('channel', sa.String(length=20), nullable=True)),
            ('campaigns', sa.Column('offer', sa.String(length=500), nullable=True)),
            ('campaigns', sa.Column('templates', sa.JSON(), nullable=True)),
            ('campaigns', sa.Column('launched_at', sa.DateTime(), nullable=True)),
    ):
        op.add_column(table, column)
    with op.batch_alter_table('campaign_members', schema=None) as batch_op:  # no DESC indexes
        batch_op.add_column(sa.Column('task_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('message_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_campaign_members_task_id_tasks'), 'tasks',
                                    ['task_id'], ['id'])
        batch_op.create_foreign_key(op.f('fk_campaign_members_message_id_outbox'), 'outbox',
                                    ['message_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('campaign_members', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_campaign_members_message_id_outbox'),
                                 type_='foreignkey')
        batch_op.drop_constraint(op.f('fk_campaign_members_task_id_tasks'), type_='foreignkey')
        batch_op.drop_column('message_id')
        batch_op.drop_column('task_id')
    for table, columns in (
            ('campaigns', ('launched_at', 'templates', 'offer', 'channel', 'create_tasks')),
            ('customers', ('alerted_p_churn', 'marketing_opt_out', 'language', 'email')),
            ('users', ('notify_channels', 'language', 'email'))):
        for column in columns:
            op.drop_column(table, column)
    op.drop_index(op.f('ix_marketing_opt_outs_customer_id'), table_name='marketing_opt_outs')
    op.drop_table('marketing_opt_outs')
    op.drop_index('ix_outbox_status_due', table_name='outbox')
    op.drop_index(op.f('ix_outbox_user_id'), table_name='outbox')
    op.drop_table('outbox')
