"""The duty rosters' tables: projections of the `duty.*` entries, rebuilt from the log.

Times are RFC 3339 UTC strings at millisecond precision, exactly as `log_entries.time`,
so that comparing the strings compares the times.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from fusioncell.ledger.tables import Position, metadata

# The roster as it stands: one row per shift. Within a party shifts never overlap, so at
# any instant a party has at most one holder. A shift is named by the entry that made it
# and its place there ("<idx>.<n>"); swaps change its member, a roster or a take that cuts
# it changes its start or end; a roster that replaces it deletes it (the log keeps it).
duty_shifts = Table(
    "duty_shifts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("start", String(32), nullable=False),  # inclusive
    Column("end", String(32), nullable=False),  # exclusive
    Column("idx", Position, nullable=False),  # the entry that made it
    Column("changed_idx", Position, nullable=True),  # the last entry that changed it
)
Index("ix_duty_shifts_party_start", duty_shifts.c.party, duty_shifts.c.start)
Index("ix_duty_shifts_party_end", duty_shifts.c.party, duty_shifts.c.end)

# Hand-over notes, visible to the author's party (and to a party that sees all).
duty_handovers = Table(
    "duty_handovers",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("to_member", String(64), nullable=True),
    Column("text", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("time", String(32), nullable=False),
    Column("visibility", String(200), nullable=False),  # ",IL," as the entry's
)
Index("ix_duty_handovers_party", duty_handovers.c.party, duty_handovers.c.idx)

# Swap and take requests and what the party admin decided.
duty_requests = Table(
    "duty_requests",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),  # the request entry
    Column("party", String(8), nullable=False),
    Column("kind", String(8), nullable=False),  # "swap" | "take"
    Column("member", String(64), nullable=False),  # who asked
    Column("shift", String(32), nullable=True),  # swap: the asker's shift
    Column("with_member", String(64), nullable=True),  # swap: who takes it over
    Column("with_shift", String(32), nullable=True),  # swap: their shift, given in exchange
    Column("until", String(32), nullable=True),  # take: until when (None: the shift's end)
    Column("time", String(32), nullable=False),
    Column("state", String(10), nullable=False),  # pending | approved | declined
    Column("decided_idx", Position, nullable=True),
    Column("decided_by", String(64), nullable=True),
    Column("decided_at", String(32), nullable=True),
)
Index("ix_duty_requests_party_state", duty_requests.c.party, duty_requests.c.state)
