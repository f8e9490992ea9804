"""joint statements: versions, comments, approvals

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def _position() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('statements',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('parties', sa.String(length=200), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('round', sa.String(length=64), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('created_idx', _position(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('adopted_idx', _position(), nullable=True),
    sa.Column('adopted_at', sa.String(length=32), nullable=True),
    sa.Column('last_idx', _position(), nullable=False),
    sa.Column('last_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statements'))
    )
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.create_index('ix_statements_state', ['state', 'last_idx'], unique=False)

    op.create_table('statements_versions',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('statement', sa.String(length=32), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('texts', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_statements_versions'))
    )
    with op.batch_alter_table('statements_versions', schema=None) as batch_op:
        batch_op.create_index('ix_statements_versions_number', ['statement', 'number'], unique=True)

    op.create_table('statements_comments',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('statement', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('passage_lang', sa.String(length=8), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('quote', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_statements_comments'))
    )
    with op.batch_alter_table('statements_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statements_comments_statement'), ['statement'], unique=False)

    op.create_table('statements_approvals',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('statement', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_statements_approvals'))
    )
    with op.batch_alter_table('statements_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statements_approvals_statement'), ['statement'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('statements_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statements_approvals_statement'))
    op.drop_table('statements_approvals')
    with op.batch_alter_table('statements_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statements_comments_statement'))
    op.drop_table('statements_comments')
    with op.batch_alter_table('statements_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_statements_versions_number')
    op.drop_table('statements_versions')
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_index('ix_statements_state')
    op.drop_table('statements')
