"""The deadlines table: a projection of the log, like every capability's tables.

A row is opened by the entry that starts a clock (a FLASH message opens one per addressed
party), closed by the entry that meets or cancels it, and advanced by the system entries
the engine writes when it passes (`system.deadline.missed`, `system.escalation.notified`).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from fusioncell.ledger.tables import Position, metadata

deadlines = Table(
    "deadlines",
    metadata,
    Column("key", String(160), primary_key=True),  # deterministic: "ack:<message>:<party>"
    Column("kind", String(32), nullable=False),  # "cell.ack"; later "line_check", ...
    Column("subject", String(200), nullable=False),  # the item's log subject ("t/<thread>")
    Column("refs", Text, nullable=False),  # JSON object copied into each system entry
    Column("party", String(8), nullable=False),  # the party that owes
    Column("visibility", String(200), nullable=False),  # ",IL,SY,US," as the item's entry
    Column("due", String(32), nullable=False),  # RFC 3339, as log_entries.time
    # The escalation steps, resolved from the charter when the deadline was opened:
    # JSON [{"at": RFC 3339, "notify": [{"party", "role"}]}]. The charter in force then is
    # the one that applies, and the engine needs no charter to act.
    Column("plan", Text, nullable=False),
    Column("next_at", String(32), nullable=True),  # when the engine acts next; NULL: never
    # Actions done: 0 none, 1 the missed entry, 1 + k the k-th escalation step.
    Column("step", Integer, nullable=False, default=0),
    Column("state", String(16), nullable=False),  # open | met | cancelled | done
    Column("opened_idx", Position, nullable=False),
    Column("closed_idx", Position, nullable=True),
)
# The engine's one query: what is due next. Closed rows have no next_at.
Index("ix_deadlines_next_at", deadlines.c.next_at)
# The board's: open clocks by time, and breaches of a period.
Index("ix_deadlines_state_due", deadlines.c.state, deadlines.c.due)
