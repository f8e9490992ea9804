"""Understandings' tables: all projections of the log (rebuilt from it).

The charter's understandings are rows from entry 0 on (the genesis entry carries the
charter); later ones from their `understanding.recorded` entry."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from fusioncell.ledger.tables import Position, metadata

understandings = Table(
    "understandings",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("origin", String(8), nullable=False),  # joint | stated
    Column("texts", Text, nullable=False),  # JSON {lang: text}: the charter's, or the one signed
    Column("lang", String(8), nullable=True),  # the original's language; NULL: the charter's
    Column("sources", Text, nullable=False),  # JSON {lang: text}
    Column("stated_by", String(8), nullable=True),
    Column("parties", String(200), nullable=False),  # ",IL,SY," the parties bound
    Column("workstream", String(32), nullable=True),
    Column("recorded_idx", Position, nullable=False),  # 0 for the charter's
    Column("recorded_at", String(32), nullable=False),
    Column("member", String(64), nullable=True),  # who recorded it; NULL: the charter
    Column("status", String(16), nullable=False),
    Column("status_idx", Position, nullable=True),
    Column("status_at", String(32), nullable=True),
    Column("start_on", String(10), nullable=True),  # YYYY-MM-DD
    Column("end_on", String(10), nullable=True),
    Column("last_idx", Position, nullable=False),
    Column("last_at", String(32), nullable=False),
)

# Every change of status, with its reason and evidence (JSON list of log indices).
understanding_statuses = Table(
    "understanding_statuses",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("understanding", String(64), nullable=False, index=True),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("from_status", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("time", String(32), nullable=False),
)

understanding_timelines = Table(
    "understanding_timelines",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("understanding", String(64), nullable=False, index=True),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("start_on", String(10), nullable=True),
    Column("end_on", String(10), nullable=True),
    Column("reason", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("time", String(32), nullable=False),
)

understanding_milestones = Table(
    "understanding_milestones",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("understanding", String(64), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("parties", String(200), nullable=False),  # ",IL,SY," responsible
    Column("due", String(32), nullable=False),
    Column("clock_idx", Position, nullable=False),  # the entry that set the current due
    Column("state", String(16), nullable=False),  # open | met | breached
    Column("set_idx", Position, nullable=False),
    Column("set_at", String(32), nullable=False),
    Column("member", String(64), nullable=False),
    Column("closed_idx", Position, nullable=True),  # met, or the engine's missed entry
    Column("closed_at", String(32), nullable=True),
)

# What happened to each milestone: set, moved, met, breached (by the engine).
understanding_milestone_events = Table(
    "understanding_milestone_events",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("milestone", String(32), primary_key=True),
    Column("understanding", String(64), nullable=False),
    Column("event", String(16), nullable=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("due", String(32), nullable=False),  # the due time after the event
    Column("text", Text, nullable=True),
    Column("lang", String(8), nullable=True),
    Column("evidence", Text, nullable=False),  # JSON list of log indices
    Column("time", String(32), nullable=False),
)
Index("ix_understanding_milestone_events_m", understanding_milestone_events.c.milestone)

understanding_verifications = Table(
    "understanding_verifications",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("understanding", String(64), nullable=False, index=True),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("assessment", String(16), nullable=False),
    Column("findings", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("time", String(32), nullable=False),
)

# A link is visible to exactly the linked entry's readers (`visibility`, as the log's).
understanding_links = Table(
    "understanding_links",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("understanding", String(64), nullable=False, index=True),
    Column("entry", Position, nullable=False),
    Column("entry_kind", String(64), nullable=False),
    Column("entry_subject", String(128), nullable=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("note", Text, nullable=True),
    Column("lang", String(8), nullable=True),
    Column("visibility", String(200), nullable=False),
    Column("time", String(32), nullable=False),
)
Index(
    "ix_understanding_links_entry",
    understanding_links.c.understanding,
    understanding_links.c.entry,
    unique=True,
)
