"""search on PostgreSQL: the vocabulary of the index, for completing a word being typed

Revision ID: 0020
Revises: 0019

`search_terms` holds every term of search_rows (in byte order, collation "C", so that a
prefix is a range of its primary key). A statement-level trigger on search_rows adds the
terms of the rows an INSERT wrote, so every way rows are written (the projector, a
rebuild, a re-index) keeps it; it is filled here from the rows already indexed. Terms are
never removed: a term no row holds any more completes to nothing. SQLite's table stays
empty (FTS5 matches prefixes from its own index).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

# Longer terms are not in the tsvector either (projector.MAX_LEXEME_BYTES).
_ADD = """
INSERT INTO search_terms (term)
SELECT DISTINCT t FROM {rows}, unnest(string_to_array({rows}.terms, ' ')) AS t
WHERE t <> '' AND octet_length(t) <= 2047
ON CONFLICT DO NOTHING
"""


def upgrade() -> None:
    conn = op.get_bind()
    pg = conn.dialect.name == "postgresql"
    term = sa.Text(collation="C") if pg else sa.Text()
    op.create_table(
        'search_terms',
        sa.Column('term', term, nullable=False),
        sa.PrimaryKeyConstraint('term', name=op.f('pk_search_terms')),
    )
    if not pg:
        return
    op.execute(
        "CREATE FUNCTION search_terms_add() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        + _ADD.format(rows="new_rows")
        + "; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER search_rows_terms AFTER INSERT ON search_rows "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION search_terms_add()"
    )
    op.execute(_ADD.format(rows="search_rows"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER search_rows_terms ON search_rows")
        op.execute("DROP FUNCTION search_terms_add()")
    op.drop_table('search_terms')
