"""Intelligence sharing's tables. Reports, versions, releases, assessments and requests for
information are projections of the `intel.*` entries (rebuilt from the log); openings of a
report's body are reads this server observed, kept beside the log like receipts.

Party lists are in the log's form (",IL,US,") so the one visibility rule reads them."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from fusioncell.ledger.tables import Position, metadata

# A report as it stands: its current version and who may read what of it.
intel_reports = Table(
    "intel_reports",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("party", String(8), nullable=False),  # the originator
    Column("member", String(64), nullable=False),
    Column("issued_idx", Position, nullable=False),
    Column("issued_at", String(32), nullable=False),
    Column("releasability", String(200), nullable=False),  # the full report
    Column("summary_vis", String(200), nullable=True),  # the tear line, when released
    Column("summary_idx", Position, nullable=True),
    Column("summary_title", Text, nullable=True),
    Column("summary_text", Text, nullable=True),
    Column("summary_lang", String(8), nullable=True),
    Column("version", Integer, nullable=False),  # how many versions
    Column("current_idx", Position, nullable=False),  # the entry of the current version
    Column("updated_at", String(32), nullable=False),
    Column("last_idx", Position, nullable=False),  # newest entry about the report
)

# Every version of every report, the first included: corrections never overwrite.
intel_versions = Table(
    "intel_versions",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("report", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("member", String(64), nullable=False),
    Column("time", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("window_start", String(32), nullable=False),
    Column("window_end", String(32), nullable=False),
    Column("source", String(1), nullable=False),  # Admiralty: reliability A-F
    Column("info", Integer, nullable=False),  # Admiralty: credibility 1-6
    Column("places", Text, nullable=False),  # JSON, as signed
    Column("attachments", Text, nullable=False),  # JSON, as signed
)
Index("ix_intel_versions_report", intel_versions.c.report, intel_versions.c.version)

# Who released what to whom, in order: the issue, each widening, the tear line.
intel_releases = Table(
    "intel_releases",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("report", String(32), nullable=False, index=True),
    Column("what", String(8), nullable=False),  # "issued" | "widened" | "summary"
    Column("parties", String(200), nullable=False),
    Column("member", String(64), nullable=False),
    Column("time", String(32), nullable=False),
)

# Other parties' assessments: corroborated, disputed or outdated, with their own grading.
intel_assessments = Table(
    "intel_assessments",
    metadata,
    Column("idx", Position, primary_key=True, autoincrement=False),
    Column("report", String(32), nullable=False, index=True),
    Column("version", Integer, nullable=False),  # the version assessed
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("assessment", String(16), nullable=False),
    Column("source", String(1), nullable=False),
    Column("info", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("time", String(32), nullable=False),
)

intel_rfis = Table(
    "intel_rfis",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("from_party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("to_party", String(8), nullable=False),
    Column("text", Text, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("due", String(32), nullable=False),
    Column("visibility", String(200), nullable=False),  # both parties and the supervisor
    Column("requested_idx", Position, nullable=False),
    Column("requested_at", String(32), nullable=False),
    Column("answered_idx", Position, nullable=True),
    Column("answered_at", String(32), nullable=True),
    Column("answered_member", String(64), nullable=True),
    Column("report", String(32), nullable=True),
)

# Every opening of a report's body, by whom and when (not in the log: reads are not
# statements). Shown to the originating party.
intel_openings = Table(
    "intel_openings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("party", String(8), nullable=False),
    Column("member", String(64), nullable=False),
    Column("what", String(16), nullable=False),  # queries.OPENED_HOW
    Column("time", String(32), nullable=False),
)
Index("ix_intel_openings_report", intel_openings.c.report, intel_openings.c.id)
