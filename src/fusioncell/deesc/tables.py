"""De-escalation's tables: projections of `zone.loaded` and the `deesc.*` entries, rebuilt
from the log. Times are RFC 3339 UTC strings at millisecond precision, as log times, so
comparing the strings compares the times; geometries are GeoJSON text, as signed."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from fusioncell.ledger.tables import Position, metadata

# Zones and lines as they stand: a zone loaded again replaces its row (the log keeps both).
deesc_zones = Table(
    "deesc_zones",
    metadata,
    Column("zone", String(64), primary_key=True),
    Column("name", String(400), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("status", String(16), nullable=False),  # agreed | proposed | illustrative
    Column("party", String(8), nullable=True),  # who proposed it
    Column("geometry", Text, nullable=False),
    Column("idx", Position, nullable=False),
    Column("time", String(32), nullable=False),
    Column("visibility", String(200), nullable=False),
)

deesc_incidents = Table(
    "deesc_incidents",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("reported", String(32), nullable=False),  # the log time
    Column("at", String(32), nullable=False),  # when it happened
    Column("at_precision", String(8), nullable=False),
    Column("place", Text, nullable=False),
    Column("place_precision_m", Integer, nullable=False),
    Column("category", String(32), nullable=False),
    Column("actors", Text, nullable=False),  # JSON list
    Column("casualties", Text, nullable=True),  # JSON object
    Column("description", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("sources", Text, nullable=False),  # JSON list
    Column("visibility", String(200), nullable=False),
)
Index("ix_deesc_incidents_at", deesc_incidents.c.at)

deesc_activities = Table(
    "deesc_activities",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("notified", String(32), nullable=False),  # the log time
    Column("activity_type", String(32), nullable=False),
    Column("start", String(32), nullable=False),
    Column("end", String(32), nullable=False),
    Column("place", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("late", Boolean, nullable=False),  # notified less than the charter's notice ahead
    Column("visibility", String(200), nullable=False),
)
Index("ix_deesc_activities_start", deesc_activities.c.start)
Index("ix_deesc_activities_end", deesc_activities.c.end)

# What the cell found when an activity was notified: it meets an agreed zone or line, or
# another party's activity at the same place and time. Shown to every party.
deesc_conflicts = Table(
    "deesc_conflicts",
    metadata,
    Column("activity", Position, primary_key=True, autoincrement=False),
    Column("with_kind", String(8), primary_key=True),  # zone | activity
    Column("with_ref", String(64), primary_key=True),  # the zone id, or the activity's idx
)

deesc_clarifications = Table(
    "deesc_clarifications",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),  # the request
    Column("about", Position, nullable=False),  # an incident or an activity
    Column("about_kind", String(10), nullable=False),  # incident | activity
    Column("party", String(8), nullable=False),  # who asks
    Column("member", String(64), nullable=False),
    Column("owing", String(8), nullable=False),  # the party that owes the answer
    Column("question", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("time", String(32), nullable=False),
    Column("due", String(32), nullable=False),
    Column("answer", Text, nullable=True),
    Column("answer_lang", String(8), nullable=True),
    Column("answered_by", String(64), nullable=True),
    Column("answered_idx", Position, nullable=True),
    Column("answered_at", String(32), nullable=True),
    Column("visibility", String(200), nullable=False),
)
Index("ix_deesc_clarifications_about", deesc_clarifications.c.about)
