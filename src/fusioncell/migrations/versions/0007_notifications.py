"""notifications: preferences, webhooks, the outbox

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_POSITION = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('notify_settings',
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('channels', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('member', name=op.f('pk_notify_settings'))
    )
    op.create_table('notify_webhooks',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=True),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('urgencies', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_webhooks')),
    sa.UniqueConstraint('member', name=op.f('uq_notify_webhooks_member'))
    )
    with op.batch_alter_table('notify_webhooks', schema=None) as batch_op:
        batch_op.create_index('ix_notify_webhooks_party', ['party'], unique=False)

    op.create_table('notify_cursor',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('idx', _POSITION, nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_notify_cursor'))
    )
    # A cell upgraded with a history starts notifying at its head, not with its past; in a
    # new cell (an empty log) the notifier makes its row at -1 and notifies everything.
    op.execute(
        "INSERT INTO notify_cursor (name, idx) SELECT 'notifier', m"
        " FROM (SELECT MAX(idx) AS m FROM log_entries) AS head WHERE m IS NOT NULL"
    )
    op.create_table('notify_outbox',
    sa.Column('id', _POSITION, autoincrement=True, nullable=False),
    sa.Column('entry_idx', _POSITION, nullable=False),
    sa.Column('recipient', sa.String(length=80), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('item', sa.String(length=160), nullable=False),
    sa.Column('delivery', sa.String(length=40), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_at', sa.String(length=32), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('sent_at', sa.String(length=32), nullable=True),
    sa.Column('read_at', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_outbox')),
    sa.UniqueConstraint('delivery', name=op.f('uq_notify_outbox_delivery')),
    sa.UniqueConstraint('entry_idx', 'recipient', 'channel', 'item', name='uq_notify_outbox_key')
    )
    with op.batch_alter_table('notify_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_notify_outbox_due', ['state', 'next_at'], unique=False)
        batch_op.create_index(
            'ix_notify_outbox_recipient', ['recipient', 'channel', 'id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('notify_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_outbox_recipient')
        batch_op.drop_index('ix_notify_outbox_due')

    op.drop_table('notify_outbox')
    op.drop_table('notify_cursor')
    with op.batch_alter_table('notify_webhooks', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_webhooks_party')

    op.drop_table('notify_webhooks')
    op.drop_table('notify_settings')
