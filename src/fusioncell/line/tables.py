"""The line's tables: projections of the log (rebuilt from it).

`line_checks` has one row per check and checked party; the supervisor's board reads it.
`line_status` is the history of declarations; the newest row is the line's state.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, String, Table, Text

from fusioncell.ledger.tables import Position, metadata

line_checks = Table(
    "line_checks",
    metadata,
    Column("check_id", String(32), primary_key=True),
    Column("party", String(8), primary_key=True),  # the party checked
    Column("opened_idx", Position, nullable=False),  # the entry that sent the check
    Column("sent_at", String(32), nullable=False),  # that entry's log time
    Column("due", String(32), nullable=False),  # sent_at + the charter's answer_within
    Column("slot", String(32), nullable=True),  # the timetable's time; NULL: on demand
    Column("on_demand", Boolean, nullable=False),
    Column("requested_by", String(64), nullable=True),  # the supervisor's member, on demand
    Column("state", String(16), nullable=False),  # open | answered | late | missed
    Column("answered_at", String(32), nullable=True),
    Column("answered_by", String(64), nullable=True),
    Column("answered_idx", Position, nullable=True),
    Column("missed_idx", Position, nullable=True),  # the system.deadline.missed entry
)
Index("ix_line_checks_party", line_checks.c.party, line_checks.c.opened_idx)
Index("ix_line_checks_state", line_checks.c.state, line_checks.c.due)

line_status = Table(
    "line_status",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),  # the declaring entry
    Column("time", String(32), nullable=False),
    Column("state", String(16), nullable=False),  # suspended | resumed
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("text", Text, nullable=True),  # the reason (required to suspend)
    Column("lang", String(8), nullable=True),
)
