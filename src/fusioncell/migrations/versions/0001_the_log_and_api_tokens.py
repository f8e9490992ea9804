"""the log and API tokens

Revision ID: 0001
Revises: 
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('token_id', sa.String(length=16), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_sha256', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_id', name=op.f('uq_api_tokens_token_id'))
    )
    op.create_table('log_checkpoints',
    sa.Column('size', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('size', name=op.f('pk_log_checkpoints'))
    )
    op.create_table('log_entries',
    sa.Column('idx', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('leaf', sa.LargeBinary(), nullable=False),
    sa.Column('statement_sha256', sa.LargeBinary(length=32), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=128), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('visibility', sa.String(length=200), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_log_entries')),
    sa.UniqueConstraint('statement_sha256', name=op.f('uq_log_entries_statement_sha256'))
    )
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.create_index('ix_log_entries_kind_subject', ['kind', 'subject'], unique=False)

    op.create_table('log_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_head'))
    )
    op.create_table('log_keys',
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=8), nullable=False),
    sa.Column('vkey', sa.Text(), nullable=False),
    sa.Column('admin', sa.Boolean(), nullable=False),
    sa.Column('registered', sa.BigInteger(), nullable=False),
    sa.Column('revoked', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('party', 'member', 'key_id', name=op.f('pk_log_keys'))
    )
    op.create_table('log_nodes',
    sa.Column('key', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_log_nodes'))
    )
    op.create_table('log_witnesses',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('vkey', sa.Text(), nullable=False),
    sa.Column('registered', sa.BigInteger(), nullable=False),
    sa.Column('revoked', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_log_witnesses'))
    )
    op.create_table('log_bodies',
    sa.Column('idx', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['idx'], ['log_entries.idx'], name=op.f('fk_log_bodies_idx_log_entries')),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_log_bodies'))
    )
    op.create_table('log_cosignatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('witness', sa.String(length=255), nullable=False),
    sa.Column('line', sa.Text(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['size'], ['log_checkpoints.size'], name=op.f('fk_log_cosignatures_size_log_checkpoints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_cosignatures')),
    sa.UniqueConstraint('size', 'witness', name='uq_log_cosignatures_size_witness')
    )


def downgrade() -> None:
    op.drop_table('log_cosignatures')
    op.drop_table('log_bodies')
    op.drop_table('log_witnesses')
    op.drop_table('log_nodes')
    op.drop_table('log_keys')
    op.drop_table('log_head')
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_log_entries_kind_subject')

    op.drop_table('log_entries')
    op.drop_table('log_checkpoints')
    op.drop_table('api_tokens')
