"""line checks and line status

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('line_checks',
    sa.Column('check_id', sa.String(length=32), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('opened_idx', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sent_at', sa.String(length=32), nullable=False),
    sa.Column('due', sa.String(length=32), nullable=False),
    sa.Column('slot', sa.String(length=32), nullable=True),
    sa.Column('on_demand', sa.Boolean(), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('answered_at', sa.String(length=32), nullable=True),
    sa.Column('answered_by', sa.String(length=64), nullable=True),
    sa.Column('answered_idx', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('missed_idx', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('check_id', 'party', name=op.f('pk_line_checks'))
    )
    with op.batch_alter_table('line_checks', schema=None) as batch_op:
        batch_op.create_index('ix_line_checks_party', ['party', 'opened_idx'], unique=False)
        batch_op.create_index('ix_line_checks_state', ['state', 'due'], unique=False)

    op.create_table('line_status',
    sa.Column('idx', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_line_status'))
    )


def downgrade() -> None:
    op.drop_table('line_status')
    with op.batch_alter_table('line_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_line_checks_state')
        batch_op.drop_index('ix_line_checks_party')

    op.drop_table('line_checks')
