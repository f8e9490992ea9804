"""Translation's and the glossary's tables. Verified translations and the glossary are
projections of the log (rebuilt from it); the machine translations' cache is not: it is
what an engine answered, kept to spare it, never in the log."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from fusioncell.ledger.tables import Position, metadata

# Every verified translation; the newest for (entry, field, lang) is the one shown, the
# earlier ones stay (superseded).
language_verified = Table(
    "language_verified",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("entry", Position, nullable=False),
    Column("field", String(32), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("text", Text, nullable=False),
    Column("of_sha256", String(64), nullable=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("visibility", String(200), nullable=False),  # the original's, ",IL,SY,US,"
    Column("time", String(32), nullable=False),
)
Index(
    "ix_language_verified_entry",
    language_verified.c.entry,
    language_verified.c.field,
    language_verified.c.lang,
)

# A term of the glossary: its current proposal, and the texts last adopted (every party
# agreed the same proposal), which are the ones highlighted and enforced.
glossary_terms = Table(
    "glossary_terms",
    metadata,
    Column("term", String(64), primary_key=True),
    Column("texts", Text, nullable=False),  # JSON {lang: text} of the current proposal
    Column("note", Text, nullable=True),
    Column("note_lang", String(8), nullable=True),
    Column("version", Position, nullable=False),  # log index of the current proposal
    Column("party", String(8), nullable=False),  # who proposed it
    Column("member", String(64), nullable=False),
    Column("proposed_at", String(32), nullable=False),
    Column("state", String(16), nullable=False),  # proposed | adopted
    Column("adopted_texts", Text, nullable=True),
    Column("adopted_version", Position, nullable=True),
    Column("adopted_at", String(32), nullable=True),
)

# Every proposal of every term (the first included): a new one never overwrites.
glossary_versions = Table(
    "glossary_versions",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("term", String(64), nullable=False, index=True),
    Column("texts", Text, nullable=False),
    Column("note", Text, nullable=True),
    Column("note_lang", String(8), nullable=True),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("time", String(32), nullable=False),
)

# Which party agreed which proposal (the proposer's party by proposing it).
glossary_agreements = Table(
    "glossary_agreements",
    metadata,
    Column("version", Position, primary_key=True, autoincrement=False),
    Column("party", String(8), primary_key=True),
    Column("term", String(64), nullable=False, index=True),
    Column("idx", Position, nullable=False),
    Column("member", String(64), nullable=False),
    Column("time", String(32), nullable=False),
)

# Machine translations as the engine returned them (terms still as tokens), keyed by the
# SHA-256 of the text sent, the pair and the engine. Not a projection: rebuild keeps it.
language_cache = Table(
    "language_cache",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("source", String(8), primary_key=True),
    Column("target", String(8), primary_key=True),
    Column("engine", String(200), primary_key=True),
    Column("text", Text, nullable=False),
    Column("time", String(32), nullable=False),
)
