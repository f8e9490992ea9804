"""search on PostgreSQL: age tokens by fours and pair tokens for phrases (re-index)

Revision ID: 0019
Revises: 0018

The tsvector of every row is written again by the current indexer (the index is derived
from the log; its rows keep their terms, visibility and entry). SQLite's index is
unchanged: FTS5 holds positions and needs neither.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

_BATCH = 5000


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    # Imported here: the indexer is what the queries of this release expect.
    from fusioncell.search.projector import tsv_text

    after = -1
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT id, idx, terms, visibility FROM search_rows WHERE id > :after "
                "ORDER BY id LIMIT :n"
            ),
            {"after": after, "n": _BATCH},
        ).all()
        if not rows:
            return
        conn.execute(
            sa.text("UPDATE search_rows SET tsv = CAST(:tsv AS tsvector) WHERE id = :id"),
            [
                {
                    "id": r.id,
                    "tsv": tsv_text(r.terms, [p for p in r.visibility.split(",") if p], r.idx),
                }
                for r in rows
            ],
        )
        after = rows[-1].id


def downgrade() -> None:
    pass  # the tokens added are harmless to the earlier queries
