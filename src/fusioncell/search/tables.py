"""Search's tables: one row per text of an entry, a projection of the log (rebuilt).

Each row carries what a result shows and what decides who may see it: the entry, its
kind, subject, author and time, the page it links to, the text's language and its
original wording, the normalised terms (fusioncell.search.normalize), and the entry's
visibility in the log's form (",IL,US,"). The full-text index over `terms` is
per database: on SQLite an FTS5 table kept by triggers (migration 0016, not declared
here: SQLAlchemy has no virtual tables), on PostgreSQL the `tsv` column (NULL on SQLite).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, String, Table, Text, text
from sqlalchemy.dialects.postgresql import TSVECTOR

from fusioncell.ledger.tables import Position, metadata

ORIGINAL = "original"
VERIFIED = "verified"  # a translation a member checked (not written yet: docs/search.md)
MACHINE = "machine"  # a cached machine translation (likewise)
SOURCES = (ORIGINAL, VERIFIED, MACHINE)

FTS_TABLE = "search_fts"  # SQLite only

search_rows = Table(
    "search_rows",
    metadata,
    # The entry's index times 1024 plus the text's place in it: the same after a rebuild.
    Column("id", Position, primary_key=True, autoincrement=False),
    Column("idx", Position, nullable=False),  # the entry that holds the text
    # The entry the text is of: itself for an original, the translated one otherwise.
    Column("of_idx", Position, nullable=False),
    Column("source", String(8), nullable=False),
    Column("area", String(16), nullable=False),  # cell | intel | deesc | commerce | charter
    Column("kind", String(64), nullable=False),
    Column("subject", String(128), nullable=False),
    Column("field", String(32), nullable=False),
    Column("link", String(200), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("party", String(8), nullable=False),  # the author's
    Column("member", String(64), nullable=False),
    Column("time", String(32), nullable=False),
    # Who may find it: the entry's visibility, or a part of it (a widened release's copy
    # is found only by the parties it was widened to).
    Column("visibility", String(200), nullable=False),
    # A text repeated from an earlier entry (a widened release): the parties that see
    # everything found it there already.
    Column("copy_of", Position, nullable=True),
    # Matched, but no snippet shown (a report's body: reading it is recorded on its page).
    Column("withheld", Boolean, nullable=False),
    Column("text", Text, nullable=False),  # the original wording, for the snippet
    Column("terms", Text, nullable=False),
    Column("tsv", TSVECTOR().with_variant(Text(), "sqlite"), nullable=True),
)
Index("ix_search_rows_idx", search_rows.c.idx)
Index("ix_search_rows_area_lang", search_rows.c.area, search_rows.c.lang)
# The GIN index is PostgreSQL's; on SQLite the column is always NULL and the partial
# index holds nothing.
Index(
    "ix_search_rows_tsv",
    search_rows.c.tsv,
    postgresql_using="gin",
    sqlite_where=text("tsv IS NOT NULL"),
)

# PostgreSQL only (empty on SQLite, whose FTS5 index reads prefixes itself): every term
# the index has held, kept by a trigger on search_rows (migration 0020), never pruned.
# A word being typed is completed here, once per query, into the index terms it begins
# (a range of this B-tree, in byte order), and the GIN index is then asked for those
# exact terms: GIN's own prefix match collects every posting of every completion over
# the whole table for each query it runs, whatever the age window.
search_terms = Table(
    "search_terms",
    metadata,
    Column("term", Text().with_variant(Text(collation="C"), "postgresql"), primary_key=True),
)
