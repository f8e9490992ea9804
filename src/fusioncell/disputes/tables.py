"""Disputes' tables: all projections of the log (rebuilt from it)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, String, Table, Text

from fusioncell.ledger.tables import Position, metadata

disputes = Table(
    "disputes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("parties", String(200), nullable=False),  # ",IL,SY,US," like log visibility
    Column("party", String(8), nullable=False),  # the raising party
    Column("member", String(64), nullable=False),
    Column("raised_idx", Position, nullable=False),
    Column("raised_at", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("account", Text, nullable=False),  # what the raising party disagrees with
    Column("request", Text, nullable=False),  # what it asks for
    Column("lang", String(8), nullable=False),
    Column("understanding", String(64), nullable=True),
    Column("stage", String(16), nullable=False),
    Column("stage_at", String(32), nullable=False),
    Column("proposal_idx", Position, nullable=True),  # the current proposed resolution
    Column("last_idx", Position, nullable=False),  # newest entry of the dispute
    Column("last_at", String(32), nullable=False),
)
Index("ix_disputes_stage", disputes.c.stage, disputes.c.last_idx)
Index("ix_disputes_understanding", disputes.c.understanding)

# The log entries a dispute cites, as the raising party gave them.
dispute_cites = Table(
    "dispute_cites",
    metadata,
    Column("dispute", String(32), primary_key=True),
    Column("idx", Position, primary_key=True, autoincrement=False),
    Index("ix_dispute_cites_idx", "idx"),
)

# The parties' own words after the raising: answers and later statements.
dispute_statements = Table(
    "dispute_statements",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("dispute", String(32), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # answer | statement
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("time", String(32), nullable=False),
)

# The supervisor's record: agreed facts, disputed facts, findings.
dispute_findings = Table(
    "dispute_findings",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("dispute", String(32), nullable=False, index=True),
    Column("finding", String(16), nullable=False),
    Column("member", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("time", String(32), nullable=False),
)

# Every proposed resolution; the current one is disputes.proposal_idx.
dispute_proposals = Table(
    "dispute_proposals",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("dispute", String(32), nullable=False, index=True),
    Column("member", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("time", String(32), nullable=False),
)

# Each party's acceptance or rejection of a proposal (the latest per party counts).
dispute_responses = Table(
    "dispute_responses",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("dispute", String(32), nullable=False, index=True),
    Column("proposal", Position, nullable=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("reason", Text, nullable=True),
    Column("lang", String(8), nullable=True),
    Column("time", String(32), nullable=False),
)

# Every change of stage, the raising included, with its time.
dispute_stages = Table(
    "dispute_stages",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("dispute", String(32), nullable=False, index=True),
    Column("from_stage", String(16), nullable=True),  # None: the raising
    Column("stage", String(16), nullable=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("referred_to", String(24), nullable=True),
    Column("text", Text, nullable=True),
    Column("lang", String(8), nullable=True),
    Column("time", String(32), nullable=False),
)
