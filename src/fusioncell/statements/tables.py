"""Joint statements' tables: all projections of the log (rebuilt from it)."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from fusioncell.ledger.tables import Position, metadata

statements = Table(
    "statements",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("parties", String(200), nullable=False),  # ",IL,SY,US," like log visibility
    Column("party", String(8), nullable=False),  # the drafting party
    Column("member", String(64), nullable=False),
    Column("round", String(64), nullable=True),  # a charter [[rounds]] id
    Column("title", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("created_idx", Position, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("version", Integer, nullable=False),  # the current version's number
    Column("state", String(16), nullable=False),
    Column("adopted_idx", Position, nullable=True),  # the approval that completed it
    Column("adopted_at", String(32), nullable=True),
    Column("last_idx", Position, nullable=False),  # newest entry of the statement
    Column("last_at", String(32), nullable=False),
)
Index("ix_statements_state", statements.c.state, statements.c.last_idx)

# Every version of every statement, the first included: a version never overwrites.
statements_versions = Table(
    "statements_versions",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("statement", String(32), nullable=False),
    Column("number", Integer, nullable=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("texts", Text, nullable=False),  # JSON {lang: text}, as checked
    Column("sha256", String(64), nullable=False),  # kinds.texts_hash(texts)
    Column("time", String(32), nullable=False),
)
Index(
    "ix_statements_versions_number",
    statements_versions.c.statement,
    statements_versions.c.number,
    unique=True,
)

statements_comments = Table(
    "statements_comments",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("statement", String(32), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("passage_lang", String(8), nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("quote", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("time", String(32), nullable=False),
)

# Every approval ever given; those of the current version are the ones that count.
statements_approvals = Table(
    "statements_approvals",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("statement", String(32), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("time", String(32), nullable=False),
)
