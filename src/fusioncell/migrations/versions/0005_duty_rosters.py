"""duty rosters

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('duty_shifts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('start', sa.String(length=32), nullable=False),
    sa.Column('end', sa.String(length=32), nullable=False),
    sa.Column('idx', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('changed_idx', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_shifts'))
    )
    with op.batch_alter_table('duty_shifts', schema=None) as batch_op:
        batch_op.create_index('ix_duty_shifts_party_start', ['party', 'start'], unique=False)
        batch_op.create_index('ix_duty_shifts_party_end', ['party', 'end'], unique=False)

    op.create_table('duty_handovers',
    sa.Column('idx', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('to_member', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.Column('visibility', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_duty_handovers'))
    )
    with op.batch_alter_table('duty_handovers', schema=None) as batch_op:
        batch_op.create_index('ix_duty_handovers_party', ['party', 'idx'], unique=False)

    op.create_table('duty_requests',
    sa.Column('idx', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('shift', sa.String(length=32), nullable=True),
    sa.Column('with_member', sa.String(length=64), nullable=True),
    sa.Column('with_shift', sa.String(length=32), nullable=True),
    sa.Column('until', sa.String(length=32), nullable=True),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('decided_idx', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_duty_requests'))
    )
    with op.batch_alter_table('duty_requests', schema=None) as batch_op:
        batch_op.create_index('ix_duty_requests_party_state', ['party', 'state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('duty_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_duty_requests_party_state')

    op.drop_table('duty_requests')
    with op.batch_alter_table('duty_handovers', schema=None) as batch_op:
        batch_op.drop_index('ix_duty_handovers_party')

    op.drop_table('duty_handovers')
    with op.batch_alter_table('duty_shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_duty_shifts_party_end')
        batch_op.drop_index('ix_duty_shifts_party_start')

    op.drop_table('duty_shifts')
