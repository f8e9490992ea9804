"""translation and the glossary: verified translations, terms, the machine translations' cache

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def _position() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('language_verified',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('entry', _position(), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('of_sha256', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('visibility', sa.String(length=200), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_language_verified'))
    )
    with op.batch_alter_table('language_verified', schema=None) as batch_op:
        batch_op.create_index('ix_language_verified_entry', ['entry', 'field', 'lang'], unique=False)

    op.create_table('glossary_terms',
    sa.Column('term', sa.String(length=64), nullable=False),
    sa.Column('texts', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('note_lang', sa.String(length=8), nullable=True),
    sa.Column('version', _position(), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('proposed_at', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('adopted_texts', sa.Text(), nullable=True),
    sa.Column('adopted_version', _position(), nullable=True),
    sa.Column('adopted_at', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('term', name=op.f('pk_glossary_terms'))
    )

    op.create_table('glossary_versions',
    sa.Column('idx', _position(), autoincrement=False, nullable=False),
    sa.Column('term', sa.String(length=64), nullable=False),
    sa.Column('texts', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('note_lang', sa.String(length=8), nullable=True),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_glossary_versions'))
    )
    with op.batch_alter_table('glossary_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_glossary_versions_term'), ['term'], unique=False)

    op.create_table('glossary_agreements',
    sa.Column('version', _position(), autoincrement=False, nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('term', sa.String(length=64), nullable=False),
    sa.Column('idx', _position(), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('version', 'party', name=op.f('pk_glossary_agreements'))
    )
    with op.batch_alter_table('glossary_agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_glossary_agreements_term'), ['term'], unique=False)

    op.create_table('language_cache',
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('target', sa.String(length=8), nullable=False),
    sa.Column('engine', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('hash', 'source', 'target', 'engine', name=op.f('pk_language_cache'))
    )


def downgrade() -> None:
    op.drop_table('language_cache')
    with op.batch_alter_table('glossary_agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_glossary_agreements_term'))
    op.drop_table('glossary_agreements')
    with op.batch_alter_table('glossary_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_glossary_versions_term'))
    op.drop_table('glossary_versions')
    op.drop_table('glossary_terms')
    with op.batch_alter_table('language_verified', schema=None) as batch_op:
        batch_op.drop_index('ix_language_verified_entry')
    op.drop_table('language_verified')
