"""Diplomatic engagement's tables: all projections of the log (rebuilt from it). The
charter's rounds are written when entry 0 is projected, the others by their entries."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from fusioncell.ledger.tables import Position, metadata

diplomacy_rounds = Table(
    "diplomacy_rounds",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("parties", String(200), nullable=False),  # ",IL,SY,US," like log visibility
    Column("source", String(8), nullable=False),  # "charter" or "log"
    Column("recorded_idx", Position, nullable=False),  # 0 for the charter's
    Column("place", Text, nullable=False),  # JSON [{text, lang}], the original first
    Column("start", String(10), nullable=True),  # YYYY-MM-DD; a charter round may lack it
    Column("end", String(10), nullable=True),
    Column("delegations", Text, nullable=False),  # JSON [{party, roles}]
    Column("note", Text, nullable=False),  # JSON [{text, lang}], maybe empty
    Column("follows", String(64), nullable=True),  # the round this one comes after
    Column("next_state", String(16), nullable=False),  # not_scheduled | scheduled
    Column("next_date", String(10), nullable=True),
    Column("next_round", String(64), nullable=True),  # the round recorded as following
    Column("version", Integer, nullable=False),
    Column("last_idx", Position, nullable=False),
    Column("last_at", String(32), nullable=False),
    # The entry whose place and note are shown (recorded or last revised), for their
    # translations; none for the charter's rounds.
    Column("text_idx", Position, nullable=True),
)
Index("ix_diplomacy_rounds_follows", diplomacy_rounds.c.follows)

diplomacy_meetings = Table(
    "diplomacy_meetings",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("round", String(64), nullable=False),
    Column("parties", String(200), nullable=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("idx", Position, nullable=False),
    Column("time", String(32), nullable=False),
    Column("title", Text, nullable=False),  # JSON [{text, lang}]
    Column("place", Text, nullable=False),  # JSON [{text, lang}]
    Column("start_local", String(16), nullable=False),  # YYYY-MM-DDTHH:MM in tz
    Column("end_local", String(16), nullable=False),
    Column("tz", String(64), nullable=False),
    Column("start_utc", String(32), nullable=False),  # RFC 3339, for ordering
    Column("end_utc", String(32), nullable=False),
    Column("delegations", Text, nullable=False),  # JSON [{party, roles}]
    Column("agenda", Text, nullable=False),  # JSON [{text, lang}]
)
Index("ix_diplomacy_meetings_round", diplomacy_meetings.c.round, diplomacy_meetings.c.start_utc)

# Every version of the minutes: a correction is a new version, never an overwrite.
diplomacy_minutes = Table(
    "diplomacy_minutes",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("meeting", String(32), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("time", String(32), nullable=False),
)

diplomacy_outcomes = Table(
    "diplomacy_outcomes",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("meeting", String(32), nullable=False, index=True),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("time", String(32), nullable=False),
)

diplomacy_followups = Table(
    "diplomacy_followups",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("meeting", String(32), nullable=False, index=True),
    Column("round", String(64), nullable=False, index=True),
    Column("party", String(8), nullable=False),  # responsible
    Column("text", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("due", String(10), nullable=True),
    Column("added_idx", Position, nullable=False),
    Column("added_at", String(32), nullable=False),
    Column("added_by", String(64), nullable=False),
    Column("closed_idx", Position, nullable=True),
    Column("closed_at", String(32), nullable=True),
    Column("closed_by", String(64), nullable=True),
    Column("closed_party", String(8), nullable=True),
    Column("note", Text, nullable=True),
    Column("note_lang", String(8), nullable=True),
)
