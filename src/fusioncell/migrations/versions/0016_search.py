"""search: one row per text of an entry; SQLite's FTS5 index kept by triggers, or
PostgreSQL's tsvector column under a GIN index

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _position() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('search_rows',
    sa.Column('id', _position(), autoincrement=False, nullable=False),
    sa.Column('idx', _position(), nullable=False),
    sa.Column('of_idx', _position(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('area', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=128), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('link', sa.String(length=200), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('party', sa.String(length=8), nullable=False),
    sa.Column('member', sa.String(length=64), nullable=False),
    sa.Column('time', sa.String(length=32), nullable=False),
    sa.Column('visibility', sa.String(length=200), nullable=False),
    sa.Column('copy_of', _position(), nullable=True),
    sa.Column('withheld', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('tsv', postgresql.TSVECTOR().with_variant(sa.Text(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_rows'))
    )
    with op.batch_alter_table('search_rows', schema=None) as batch_op:
        batch_op.create_index('ix_search_rows_idx', ['idx'], unique=False)
        batch_op.create_index('ix_search_rows_area_lang', ['area', 'lang'], unique=False)
        batch_op.create_index(
            'ix_search_rows_tsv', ['tsv'], unique=False,
            postgresql_using='gin', sqlite_where=sa.text('tsv IS NOT NULL'),
        )
    if op.get_bind().dialect.name == 'sqlite':
        # External content: the index reads nothing back but the terms it was given;
        # the visibility column lets a party's filter run inside the match itself.
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(terms, visibility, "
            "content='search_rows', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 0', prefix='2 3')"
        )
        op.execute(
            "CREATE TRIGGER search_rows_ai AFTER INSERT ON search_rows BEGIN "
            "INSERT INTO search_fts(rowid, terms, visibility) "
            "VALUES (new.id, new.terms, new.visibility); END"
        )
        op.execute(
            "CREATE TRIGGER search_rows_ad AFTER DELETE ON search_rows BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, terms, visibility) "
            "VALUES ('delete', old.id, old.terms, old.visibility); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TRIGGER search_rows_ad")
        op.execute("DROP TRIGGER search_rows_ai")
        op.execute("DROP TABLE search_fts")
    with op.batch_alter_table('search_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_search_rows_tsv')
        batch_op.drop_index('ix_search_rows_area_lang')
        batch_op.drop_index('ix_search_rows_idx')
    op.drop_table('search_rows')
