"""Every projection of the log, in one list, and `rebuild`: recompute them all from the log.

The log is the source of truth: a projection is what `rebuild` gives from entry 0 on, and
a test holds the live tables to exactly that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Connection, delete, select, update

from fusioncell.cell import Cell
from fusioncell.commerce.projector import CommerceProjector
from fusioncell.commerce.tables import (
    commerce_documents,
    commerce_interest,
    commerce_proposals,
    commerce_stages,
    commerce_versions,
)
from fusioncell.db import transaction
from fusioncell.deadlines.projector import project_deadline_entries
from fusioncell.deadlines.tables import deadlines
from fusioncell.deesc.projector import DeescProjector
from fusioncell.deesc.tables import (
    deesc_activities,
    deesc_clarifications,
    deesc_conflicts,
    deesc_incidents,
    deesc_zones,
)
from fusioncell.diplomacy.projector import DiplomacyProjector
from fusioncell.diplomacy.tables import (
    diplomacy_followups,
    diplomacy_meetings,
    diplomacy_minutes,
    diplomacy_outcomes,
    diplomacy_rounds,
)
from fusioncell.disputes.projector import DisputesProjector
from fusioncell.disputes.tables import (
    dispute_cites,
    dispute_findings,
    dispute_proposals,
    dispute_responses,
    dispute_stages,
    dispute_statements,
    disputes,
)
from fusioncell.duty.projector import DutyProjector
from fusioncell.duty.tables import duty_handovers, duty_requests, duty_shifts
from fusioncell.identity.devices_web import project_device
from fusioncell.identity.tables import device_requests
from fusioncell.intel.projector import IntelProjector
from fusioncell.intel.tables import (
    intel_assessments,
    intel_releases,
    intel_reports,
    intel_rfis,
    intel_versions,
)
from fusioncell.language.projector import LanguageProjector
from fusioncell.language.tables import (
    glossary_agreements,
    glossary_terms,
    glossary_versions,
    language_verified,
)
from fusioncell.ledger.canonical import loads_canonical
from fusioncell.ledger.entry import parse_leaf
from fusioncell.ledger.store import Ledger, Projector
from fusioncell.ledger.tables import (
    log_bodies,
    log_entries,
    log_keys,
    log_members,
    log_witnesses,
)
from fusioncell.ledger.trust import TRUST_KINDS
from fusioncell.line.projector import LineProjector
from fusioncell.line.tables import line_checks, line_status
from fusioncell.messaging.projector import CellProjector
from fusioncell.messaging.tables import (
    cell_acks,
    cell_message_files,
    cell_messages,
    cell_threads,
    cell_versions,
)
from fusioncell.search.projector import SearchProjector
from fusioncell.search.tables import search_rows
from fusioncell.statements.projector import StatementsProjector
from fusioncell.statements.tables import (
    statements,
    statements_approvals,
    statements_comments,
    statements_versions,
)
from fusioncell.understandings.projector import UnderstandingsProjector
from fusioncell.understandings.tables import (
    understanding_links,
    understanding_milestone_events,
    understanding_milestones,
    understanding_statuses,
    understanding_timelines,
    understanding_verifications,
    understandings,
)


def default_projectors() -> list[Projector]:
    """A fresh set for one ledger (the cell's projector caches that cell's charter)."""
    return [
        project_device,
        CellProjector(),
        project_deadline_entries,
        DutyProjector(),
        IntelProjector(),
        LineProjector(),  # after the deadlines': it reads the missed checks they accepted
        CommerceProjector(),
        DeescProjector(),
        DisputesProjector(),
        DiplomacyProjector(),
        StatementsProjector(),
        UnderstandingsProjector(),  # after the deadlines': it reads the missed milestones
        SearchProjector(),  # last: it indexes what the others accepted
        LanguageProjector(),  # reads the earlier entries a translation refers to
    ]


# Tables that are pure projections: emptied, then refilled from the log. Receipts and the
# bytes of attachments are not in the log and survive a rebuild.
PROJECTED = [
    log_keys,
    log_witnesses,
    log_members,
    cell_threads,
    cell_messages,
    cell_versions,
    cell_acks,
    cell_message_files,
    deadlines,
    duty_shifts,
    duty_handovers,
    duty_requests,
    intel_reports,
    intel_versions,
    intel_releases,
    intel_assessments,
    intel_rfis,
    line_checks,
    line_status,
    commerce_proposals,
    commerce_versions,
    commerce_interest,
    commerce_stages,
    commerce_documents,
    deesc_zones,
    deesc_incidents,
    deesc_activities,
    deesc_conflicts,
    deesc_clarifications,
    disputes,
    dispute_cites,
    dispute_statements,
    dispute_findings,
    dispute_proposals,
    dispute_responses,
    dispute_stages,
    diplomacy_rounds,
    diplomacy_meetings,
    diplomacy_minutes,
    diplomacy_outcomes,
    diplomacy_followups,
    statements,
    statements_versions,
    statements_comments,
    statements_approvals,
    understandings,
    understanding_statuses,
    understanding_timelines,
    understanding_milestones,
    understanding_milestone_events,
    understanding_verifications,
    understanding_links,
    search_rows,
    language_verified,
    glossary_terms,
    glossary_versions,
    glossary_agreements,
]
CHUNK = 2000


def rebuild(cell: Cell, progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute every projection from the log, in one transaction. Returns entries read."""
    with transaction(cell.engine) as conn:
        size = rebuild_in(conn, cell.ledger.projectors, progress)
    cell.ledger._ring_size = -1  # reload the key ring from the rebuilt tables
    return size


def rebuild_in(
    conn: Connection,
    projectors: Sequence[Projector],
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """`rebuild` inside the caller's transaction: a restore checks its projections against
    it before committing (fusioncell.backup)."""
    size = (
        int(
            conn.execute(
                select(log_entries.c.idx).order_by(log_entries.c.idx.desc()).limit(1)
            ).scalar()
            or -1
        )
        + 1
    )
    for t in reversed(PROJECTED):
        conn.execute(delete(t))
    conn.execute(update(device_requests).values(registered_index=None))
    for start in range(0, size, CHUNK):
        rows = conn.execute(
            select(log_entries.c.leaf, log_bodies.c.body)
            .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
            .where(log_entries.c.idx >= start, log_entries.c.idx < start + CHUNK)
            .order_by(log_entries.c.idx)
        ).all()
        for r in rows:
            entry = parse_leaf(bytes(r.leaf))
            body = loads_canonical(bytes(r.body))
            if entry.statement.kind in TRUST_KINDS:
                Ledger._project_trust(conn, entry, body)
            for project in projectors:
                project(conn, entry, body)
        if progress:
            progress(min(start + CHUNK, size), size)
    return size
