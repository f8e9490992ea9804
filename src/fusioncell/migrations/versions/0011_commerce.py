"""commercial opportunities: proposals and their stages

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _position() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('commerce_proposals',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('parties', sa.String(length=200), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('submitted_idx', _position(), nullable=False),
    sa.Column('submitted_at', sa.String(length=32), nullable=False),
    sa.Column('sector', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('partners', sa.Text(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('documents', sa.Text(), nullable=False),
    sa.Column('understanding', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=24), nullable=False),
    sa.Column('stage_at', sa.String(length=32), nullable=False),
    sa.Column('last_idx', _position(), nullable=False),
    sa.Column('last_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_proposals'))
    )
    with op.batch_alter_table('commerce_proposals', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_proposals_stage', ['stage', 'last_idx'], unique=False)

    op.create_table('commerce_versions',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('proposal', sa.String(length=32), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_commerce_versions'))
    )
    with op.batch_alter_table('commerce_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commerce_versions_proposal'), ['proposal'], unique=False)

    op.create_table('commerce_interest',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('proposal', sa.String(length=32), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_commerce_interest'))
    )
    with op.batch_alter_table('commerce_interest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commerce_interest_proposal'), ['proposal'], unique=False)

    op.create_table('commerce_stages',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('proposal', sa.String(length=32), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('from_stage', sa.String(length=24), nullable=False),
    sa.Column('stage', sa.String(length=24), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_commerce_stages'))
    )
    with op.batch_alter_table('commerce_stages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commerce_stages_proposal'), ['proposal'], unique=False)

    op.create_table('commerce_documents',
    sa.Column('proposal', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('proposal', 'sha256', name=op.f('pk_commerce_documents'))
    )
    with op.batch_alter_table('commerce_documents', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_documents_sha256', ['sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('commerce_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_documents_sha256')

    op.drop_table('commerce_documents')
    for table in ('commerce_stages', 'commerce_interest', 'commerce_versions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_proposal'))

        op.drop_table(table)
    with op.batch_alter_table('commerce_proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_proposals_stage')

    op.drop_table('commerce_proposals')
