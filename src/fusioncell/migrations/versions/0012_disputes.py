"""disputes: raised, answered, mediated, resolved

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _position() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('disputes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('parties', sa.String(length=200), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('raised_idx', _position(), nullable=False),
    sa.Column('raised_at', sa.String(length=32), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('account', sa.Text(), nullable=False),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('understanding', sa.String(length=64), nullable=True),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('stage_at', sa.String(length=32), nullable=False),
    sa.Column('proposal_idx', _position(), nullable=True),
    sa.Column('last_idx', _position(), nullable=False),
    sa.Column('last_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes'))
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index('ix_disputes_stage', ['stage', 'last_idx'], unique=False)
        batch_op.create_index('ix_disputes_understanding', ['understanding'], unique=False)

    op.create_table('dispute_cites',
    sa.Column('dispute', sa.String(length=32), nullable=False),
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('dispute', 'idx', name=op.f('pk_dispute_cites'))
    )
    with op.batch_alter_table('dispute_cites', schema=None) as batch_op:
        batch_op.create_index('ix_dispute_cites_idx', ['idx'], unique=False)

    op.create_table('dispute_statements',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('dispute', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_dispute_statements'))
    )
    op.create_table('dispute_findings',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('dispute', sa.String(length=32), nullable=False),
    sa.Column('finding', sa.String(length=16), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_dispute_findings'))
    )
    op.create_table('dispute_proposals',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('dispute', sa.String(length=32), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_dispute_proposals'))
    )
    op.create_table('dispute_responses',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('dispute', sa.String(length=32), nullable=False),
    sa.Column('proposal', _position(), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_dispute_responses'))
    )
    op.create_table('dispute_stages',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('dispute', sa.String(length=32), nullable=False),
    sa.Column('from_stage', sa.String(length=16), nullable=True),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('referred_to', sa.String(length=24), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_dispute_stages'))
    )
    for table in _BY_DISPUTE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_dispute'), ['dispute'], unique=False)


_BY_DISPUTE = (
    'dispute_statements',
    'dispute_findings',
    'dispute_proposals',
    'dispute_responses',
    'dispute_stages',
)


def downgrade() -> None:
    for table in _BY_DISPUTE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_dispute'))

        op.drop_table(table)
    with op.batch_alter_table('dispute_cites', schema=None) as batch_op:
        batch_op.drop_index('ix_dispute_cites_idx')

    op.drop_table('dispute_cites')
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index('ix_disputes_understanding')
        batch_op.drop_index('ix_disputes_stage')

    op.drop_table('disputes')
