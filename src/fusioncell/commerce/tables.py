"""Commercial opportunities' tables: all projections of the log (rebuilt from it)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from fusioncell.ledger.tables import Position, metadata

commerce_proposals = Table(
    "commerce_proposals",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("parties", String(200), nullable=False),  # ",IL,SY,US," like log visibility
    Column("party", String(8), nullable=False),  # the proposing party
    Column("member", String(64), nullable=False),
    Column("submitted_idx", Position, nullable=False),
    Column("submitted_at", String(32), nullable=False),
    # The current version; every version is in commerce_versions.
    Column("sector", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("partners", Text, nullable=False),  # JSON list, as signed
    Column("amount", BigInteger, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("documents", Text, nullable=False),  # JSON, as signed
    Column("understanding", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("stage", String(24), nullable=False),
    Column("stage_at", String(32), nullable=False),
    Column("last_idx", Position, nullable=False),  # newest entry of the proposal
    Column("last_at", String(32), nullable=False),
)
Index("ix_commerce_proposals_stage", commerce_proposals.c.stage, commerce_proposals.c.last_idx)

# Every version of every proposal, the first included: a revision never overwrites.
commerce_versions = Table(
    "commerce_versions",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("proposal", String(32), nullable=False, index=True),
    Column("member", String(64), nullable=False),
    Column("content", Text, nullable=False),  # JSON of kinds.Content
    Column("time", String(32), nullable=False),
)

commerce_interest = Table(
    "commerce_interest",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("proposal", String(32), nullable=False, index=True),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("level", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("time", String(32), nullable=False),
)

commerce_stages = Table(
    "commerce_stages",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("proposal", String(32), nullable=False, index=True),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("from_stage", String(24), nullable=False),
    Column("stage", String(24), nullable=False),
    Column("text", Text, nullable=True),
    Column("lang", String(8), nullable=True),
    Column("time", String(32), nullable=False),
)

# Which proposal names which file (in any version): who may read the proposal may
# download it.
commerce_documents = Table(
    "commerce_documents",
    metadata,
    Column("proposal", String(32), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Index("ix_commerce_documents_sha256", "sha256"),
)
