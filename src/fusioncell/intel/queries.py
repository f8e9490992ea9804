"""Reading intelligence as a member sees it. A party reads a report in full when it is in
the report's releasability (or sees all); a party that only has the tear line reads the
summary, marked as withheld; any other party gets the same 404 as for a missing report.

The head of a report (`report`) holds no body: the body is read by `open_body`, which
records the opening for the originator to see.

A party released to by a widening reads what it may read in the log: the version the
widening carried and those written after, and the assessments written after; the earlier
versions and assessments are entries whose visibility, fixed when written, leaves it out
(`_readable_versions`, `_readable_assessments`)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, true

from fusioncell.authz import Principal
from fusioncell.authz.visibility import names, readable
from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.db import reading, transaction
from fusioncell.deadlines.tables import deadlines
from fusioncell.errors import N_, Forbidden, NotFound
from fusioncell.intel import kinds
from fusioncell.intel.projector import NO_REPORT, NO_RFI, RFI_KEY
from fusioncell.intel.tables import (
    intel_assessments,
    intel_openings,
    intel_releases,
    intel_reports,
    intel_rfis,
    intel_versions,
)
from fusioncell.ledger.tables import log_entries
from fusioncell.messaging.projector import split
from fusioncell.messaging.tables import cell_attachments

MAX_REPORTS = 500


def _full(cell: Cell, who: Principal, row: Any) -> bool:
    return cell.ledger.genesis.may_read(who.party, split(row.releasability))


def _summary_only(who: Principal, row: Any) -> bool:
    return row.summary_vis is not None and f",{who.party}," in row.summary_vis


def _readable_versions(conn: Connection, cell: Cell, who: Principal, report_id: str) -> list[Any]:
    """The report's versions, oldest first, that the caller's party may read in the log:
    those whose own entry it may read, and each one a widening it may read carried (the
    version current when the release was widened)."""
    versions = list(
        conn.execute(
            select(intel_versions, log_entries.c.visibility.label("vis"))
            .join(log_entries, log_entries.c.idx == intel_versions.c.idx)
            .where(intel_versions.c.report == report_id)
            .order_by(intel_versions.c.version)
        )
    )
    may = cell.ledger.genesis.may_read
    ok = {int(v.idx) for v in versions if may(who.party, split(v.vis))}
    for w in conn.execute(
        select(intel_releases.c.idx, log_entries.c.visibility.label("vis"))
        .join(log_entries, log_entries.c.idx == intel_releases.c.idx)
        .where(intel_releases.c.report == report_id, intel_releases.c.what == "widened")
    ):
        carried = [v for v in versions if int(v.idx) < int(w.idx)]
        if carried and may(who.party, split(w.vis)):
            ok.add(int(carried[-1].idx))
    return [v for v in versions if int(v.idx) in ok]


def _readable_assessments(cell: Cell, who: Principal) -> Any:
    """Assessments whose entries the caller's party may read."""
    q = select(intel_assessments).join(log_entries, log_entries.c.idx == intel_assessments.c.idx)
    clause = readable(log_entries.c.visibility, who, cell.ledger.genesis)
    return q if clause is None else q.where(clause)


def _visible_reports(cell: Cell, who: Principal) -> Any:
    full = readable(intel_reports.c.releasability, who, cell.ledger.genesis)
    q = select(intel_reports)
    return q if full is None else q.where(or_(full, names(intel_reports.c.summary_vis, who.party)))


def _row(conn: Connection, cell: Cell, who: Principal, report: str) -> Any:
    row = conn.execute(_visible_reports(cell, who).where(intel_reports.c.id == report)).first()
    if row is None:
        raise NotFound(NO_REPORT)
    return row


def _grading(source: str, info: int) -> dict[str, Any]:
    return {"source": source, "info": int(info), "code": f"{source}{int(info)}"}


def _withheld(row: Any) -> dict[str, Any]:
    """What a party beyond the full release sees: the tear line, and that more exists."""
    return {
        "id": row.id,
        "party": row.party,
        "withheld": True,
        "title": row.summary_title,
        "summary": row.summary_text,
        "lang": row.summary_lang,
        "summary_index": int(row.summary_idx),
        "summary_released_to": split(row.summary_vis),
        "issued_at": row.issued_at,
    }


def _head(row: Any, v: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "party": row.party,
        "member": row.member,
        "withheld": False,
        "title": v.title,
        "summary": v.summary,
        "lang": v.lang,
        "window": {"start": v.window_start, "end": v.window_end},
        "grading": _grading(v.source, v.info),
        "places": json.loads(v.places),
        "attachments": json.loads(v.attachments),
        "releasability": split(row.releasability),
        "summary_released_to": split(row.summary_vis) if row.summary_vis else None,
        "tear_line": (
            {"title": row.summary_title, "text": row.summary_text, "lang": row.summary_lang}
            if row.summary_vis
            else None
        ),
        "version": int(row.version),
        # the entry of the current version (issued or corrected): its texts are translated
        "current_index": int(row.current_idx),
        "issued_at": row.issued_at,
        "issued_index": int(row.issued_idx),
        "updated_at": row.updated_at,
    }


def reports(cell: Cell, who: Principal) -> list[dict[str, Any]]:
    """Every report the member may see, newest activity first."""
    with reading(cell.engine) as conn:
        rows = list(
            conn.execute(
                _visible_reports(cell, who)
                .order_by(intel_reports.c.last_idx.desc())
                .limit(MAX_REPORTS)
            )
        )
        current = {
            int(v.idx): v
            for v in conn.execute(
                select(intel_versions).where(
                    intel_versions.c.idx.in_(
                        [int(r.current_idx) for r in rows if _full(cell, who, r)]
                    )
                )
            )
        }
        counts: dict[str, dict[str, int]] = defaultdict(dict)
        for a in conn.execute(
            _readable_assessments(cell, who).where(
                intel_assessments.c.report.in_([r.id for r in rows])
            )
        ):
            counts[a.report][a.assessment] = counts[a.report].get(a.assessment, 0) + 1
    out = []
    for r in rows:
        if _full(cell, who, r):
            h = _head(r, current[int(r.current_idx)])
            h["assessments"] = counts.get(r.id, {})
            out.append(h)
        else:
            out.append(_withheld(r))
    return out


def report(cell: Cell, who: Principal, report_id: str) -> dict[str, Any]:
    """A report's head, releases, versions (without their bodies) and assessments, or its
    tear line alone for a party that has only that."""
    with reading(cell.engine) as conn:
        row = _row(conn, cell, who, report_id)
        if not _full(cell, who, row):
            return _withheld(row)
        versions = _readable_versions(conn, cell, who, report_id)
        out = _head(row, versions[-1])
        out["versions"] = [
            {
                "version": int(v.version),
                "index": int(v.idx),
                "member": v.member,
                "time": v.time,
                "title": v.title,
                "grading": _grading(v.source, v.info),
            }
            for v in versions
        ]
        out["releases"] = [
            {
                "index": int(r.idx),
                "what": r.what,
                "parties": split(r.parties),
                "member": r.member,
                "time": r.time,
            }
            for r in conn.execute(
                select(intel_releases)
                .where(intel_releases.c.report == report_id)
                .order_by(intel_releases.c.idx)
            )
        ]
        out["assessments"] = [
            {
                "index": int(a.idx),
                "version": int(a.version),
                "party": a.party,
                "member": a.member,
                "assessment": a.assessment,
                "grading": _grading(a.source, a.info),
                "text": a.text,
                "lang": a.lang,
                "time": a.time,
            }
            for a in conn.execute(
                _readable_assessments(cell, who)
                .where(intel_assessments.c.report == report_id)
                .order_by(intel_assessments.c.idx)
            )
        ]
        out["answers"] = [
            r.id
            for r in conn.execute(select(intel_rfis.c.id).where(intel_rfis.c.report == report_id))
        ]
        out["openings_shown"] = row.party == who.party
    return out


def _record_opening(conn: Connection, cell: Cell, who: Principal, row: Any, what: str) -> None:
    conn.execute(
        insert(intel_openings).values(
            report=row.id,
            version=int(row.version),
            party=who.party,
            member=who.member,
            what=what,
            time=rfc3339(cell.clock.now()),
        )
    )


# How a body was opened (intel_openings.what), as the originator's page names it.
OPENED_HOW = {
    "body": N_("on its page or through the API"),
    "file": N_("a file attached to it"),
    "stix": N_("exported as STIX"),
    "log": N_("in the log's entries"),
    "translation": N_("through a translation of its body"),
}
_BODY_KINDS = frozenset({kinds.ISSUED, kinds.CORRECTED, kinds.WIDENED})


def record_body_reads(
    cell: Cell, who: Principal, read: Iterable[tuple[int, str]], how: str
) -> None:
    """A report's body read elsewhere than through the report (the log's entries, where a
    verifier reads bodies; a translation of the body) is an opening too, recorded like the
    others. `read`: (entry index, kind) of each entry whose body was given to `who`."""
    wanted = sorted({i for i, kind in read if kind in _BODY_KINDS})
    if not wanted:
        return
    # The originating party's clients read back from the log every entry they append,
    # to verify it: that is not an opening.
    others = intel_reports.c.party != who.party if how == "log" else true()
    with transaction(cell.engine) as conn:
        opened = {
            (r.report, int(r.version))
            for r in conn.execute(
                select(intel_versions.c.report, intel_versions.c.version)
                .join(intel_reports, intel_reports.c.id == intel_versions.c.report)
                .where(intel_versions.c.idx.in_(wanted), others)
            )
        }
        # A widening carries the version current when it was signed.
        for r in conn.execute(
            select(intel_releases.c.idx, intel_releases.c.report)
            .join(intel_reports, intel_reports.c.id == intel_releases.c.report)
            .where(intel_releases.c.idx.in_(wanted), intel_releases.c.what == "widened", others)
        ):
            version = conn.execute(
                select(func.max(intel_versions.c.version)).where(
                    intel_versions.c.report == r.report, intel_versions.c.idx < r.idx
                )
            ).scalar_one()
            opened.add((r.report, int(version)))
        now = rfc3339(cell.clock.now())
        if how == "translation" and opened:
            # The report's page asks for its body's translation after opening it: a body
            # the member has opened already is not opened again by reading it translated.
            opened -= {
                (r.report, int(r.version))
                for r in conn.execute(
                    select(intel_openings.c.report, intel_openings.c.version).where(
                        intel_openings.c.member == who.member,
                        intel_openings.c.party == who.party,
                        intel_openings.c.report.in_(sorted({r for r, _ in opened})),
                    )
                )
            }
        if not opened:
            return
        conn.execute(
            insert(intel_openings),
            [
                {
                    "report": report,
                    "version": version,
                    "party": who.party,
                    "member": who.member,
                    "what": how,
                    "time": now,
                }
                for report, version in sorted(opened)
            ],
        )


def _full_row(conn: Connection, cell: Cell, who: Principal, report_id: str) -> Any:
    row = _row(conn, cell, who, report_id)
    if not _full(cell, who, row):
        raise Forbidden(N_("only a tear-line summary of this report is released to your party"))
    return row


def open_body(cell: Cell, who: Principal, report_id: str) -> dict[str, Any]:
    """Every version of the report in full, bodies included; the opening is recorded."""
    with transaction(cell.engine) as conn:
        row = _full_row(conn, cell, who, report_id)
        _record_opening(conn, cell, who, row, "body")
        versions = [
            {
                "version": int(v.version),
                "index": int(v.idx),
                "member": v.member,
                "time": v.time,
                "title": v.title,
                "summary": v.summary,
                "body": v.body,
                "lang": v.lang,
                "window": {"start": v.window_start, "end": v.window_end},
                "grading": _grading(v.source, v.info),
                "places": json.loads(v.places),
                "attachments": json.loads(v.attachments),
            }
            for v in _readable_versions(conn, cell, who, report_id)
        ]
    return {"id": report_id, "version": int(row.version), "versions": versions}


def openings(cell: Cell, who: Principal, report_id: str) -> list[dict[str, Any]]:
    """Who opened the report's body and when: for the originating party only."""
    with reading(cell.engine) as conn:
        row = _row(conn, cell, who, report_id)
        if row.party != who.party:
            raise Forbidden(N_("only the originating party sees who opened its report"))
        return [
            {
                "party": o.party,
                "member": o.member,
                "version": int(o.version),
                "what": o.what,
                "time": o.time,
            }
            for o in conn.execute(
                select(intel_openings)
                .where(intel_openings.c.report == report_id)
                .order_by(intel_openings.c.id)
            )
        ]


def open_file(cell: Cell, who: Principal, report_id: str, sha256: str) -> tuple[bytes, str]:
    """A file attached to a version of the report the party reads in full;
    recorded as an opening. A file not attached to it gets the report's 404."""
    with transaction(cell.engine) as conn:
        row = _full_row(conn, cell, who, report_id)
        attached = any(
            a["sha256"] == sha256
            for v in _readable_versions(conn, cell, who, report_id)
            for a in json.loads(v.attachments)
        )
        data = (
            conn.execute(
                select(cell_attachments.c.data, cell_attachments.c.type).where(
                    cell_attachments.c.sha256 == sha256
                )
            ).first()
            if attached
            else None
        )
        if data is None:
            raise NotFound(N_("no such file in this report"))
        _record_opening(conn, cell, who, row, "file")
    return bytes(data.data), str(data.type)


def stix_bundle(cell: Cell, who: Principal, report_id: str) -> str:
    """The report's current version as a STIX 2.1 bundle (JSON); recorded as an opening."""
    from fusioncell.intel.stix import bundle  # stix2 is slow to import: only when asked

    with transaction(cell.engine) as conn:
        row = _full_row(conn, cell, who, report_id)
        v = conn.execute(
            select(intel_versions).where(intel_versions.c.idx == row.current_idx)
        ).one()
        _record_opening(conn, cell, who, row, "stix")
    return bundle(row, v, cell.charter)


# ---- requests for information ------------------------------------------------------------


def _rfi_json(r: Any, state: str | None, now: str) -> dict[str, Any]:
    if r.answered_idx is not None:
        status = "answered"
    elif r.due <= now:
        status = "overdue"
    else:
        status = "open"
    return {
        "id": r.id,
        "from": r.from_party,
        "member": r.member,
        "to": r.to_party,
        "parties": split(r.visibility),
        "text": r.text,
        "lang": r.lang,
        "urgency": r.urgency,
        "due": r.due,
        "requested_at": r.requested_at,
        "requested_index": int(r.requested_idx),
        "status": status,
        "deadline": state,
        "answer": (
            {
                "report": r.report,
                "index": int(r.answered_idx),
                "member": r.answered_member,
                "time": r.answered_at,
            }
            if r.answered_idx is not None
            else None
        ),
    }


def _visible_rfis(cell: Cell, who: Principal) -> Any:
    clause = readable(intel_rfis.c.visibility, who, cell.ledger.genesis)
    q = select(intel_rfis, deadlines.c.state).outerjoin(
        deadlines, deadlines.c.key == RFI_KEY + intel_rfis.c.id
    )
    return q if clause is None else q.where(clause)


def rfis(cell: Cell, who: Principal) -> list[dict[str, Any]]:
    """Requests the member's party may see (its own, those to it; all for the supervisor),
    open ones first, nearest deadline first."""
    now = rfc3339(cell.clock.now())
    with reading(cell.engine) as conn:
        rows = list(conn.execute(_visible_rfis(cell, who).limit(MAX_REPORTS)))
    out = [_rfi_json(r, r.state, now) for r in rows]
    out.sort(key=lambda r: (r["status"] == "answered", r["due"]))
    return out


def rfi(cell: Cell, who: Principal, rfi_id: str) -> dict[str, Any]:
    now = rfc3339(cell.clock.now())
    with reading(cell.engine) as conn:
        r = conn.execute(_visible_rfis(cell, who).where(intel_rfis.c.id == rfi_id)).first()
    if r is None:
        raise NotFound(NO_RFI)
    return _rfi_json(r, r.state, now)
