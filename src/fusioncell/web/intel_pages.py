"""Intelligence sharing's pages: the reports a party may read, requests for information,
and one report with its versions, assessments and releases.

Pages only read (fusioncell.intel.queries); every write is a statement the member's device
signs in the browser (static/js/intel.js) and appends at /log/v1/append. Showing a report's
page to a party that reads it in full opens its body: the opening is recorded, as by the
API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.cell import Cell
from fusioncell.db import reading
from fusioncell.errors import NotFound
from fusioncell.intel import kinds, queries
from fusioncell.intel.projector import NO_REPORT
from fusioncell.intel.tables import intel_releases
from fusioncell.ledger.tables import log_entries
from fusioncell.messaging.projector import split
from fusioncell.web.render import localized, page_language, render

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]


def _common(request: Request, cell: Cell, who: Principal) -> dict[str, Any]:
    lang = page_language(request)
    charter = cell.charter
    languages = charter.languages
    sup = charter.supervisor
    return {
        "party_names": {p.code: localized(p.name, lang) for p in charter.parties},
        "languages": languages,
        "default_lang": lang if lang in languages else languages[0],
        "can_append": who.can(Permission.LOG_APPEND),
        # Always released to: one's own party, and the supervisor where the charter says.
        "fixed": sorted(
            {who.party}
            | ({sup.code} if sup is not None and charter.cell.supervisor_in_every_thread else set())
        ),
        "all_parties": charter.codes,
        "sources": kinds.SOURCES,
        "credibility": list(kinds.CREDIBILITY),
        "assessments": kinds.ASSESSMENTS,
        "max_title": kinds.MAX_TITLE_CHARS,
        "max_summary": kinds.MAX_SUMMARY_CHARS,
        "max_text": charter.cell.max_text_chars,
        "urgencies": [(u.level.value, localized(u.name, lang)) for u in charter.urgency_levels],
    }


def _readable(cell: Cell, who: Principal, indices: list[int]) -> set[int]:
    """Which of these entries the reader's party may read (their visibility is fixed when
    written, and a widened release shows a report to parties its earlier entries are not)."""
    with reading(cell.engine) as conn:
        rows = conn.execute(
            select(log_entries.c.idx, log_entries.c.visibility).where(
                log_entries.c.idx.in_(indices)
            )
        )
        may = cell.ledger.genesis.may_read
        return {int(r.idx) for r in rows if may(who.party, tuple(split(r.visibility)))}


def _widened_at(cell: Cell, reports: list[str]) -> dict[str, list[int]]:
    """The entries that widened each report's release, oldest first."""
    out: dict[str, list[int]] = {r: [] for r in reports}
    with reading(cell.engine) as conn:
        for row in conn.execute(
            select(intel_releases.c.report, intel_releases.c.idx)
            .where(intel_releases.c.report.in_(reports), intel_releases.c.what == "widened")
            .order_by(intel_releases.c.idx)
        ):
            out[row.report].append(int(row.idx))
    return out


def _widened_copies(
    versions: list[int], widened_at: list[int], readable: set[int]
) -> dict[int, int]:
    """For each version the reader may not read, the widening entry it may read that
    carries that version's texts (the one current when the release was widened): a party
    released to later reads, and has translated, the texts of that entry."""
    versions = sorted(versions)
    out: dict[int, int] = {}
    for n, v in enumerate(versions):
        later = versions[n + 1] if n + 1 < len(versions) else None
        for w in widened_at:
            if v not in readable and w > v and (later is None or w < later) and w in readable:
                out[v] = w
                break
    return out


@router.get("/intel")
def intel_page(request: Request, cell: CellDep, who: Member) -> Response:
    reports = queries.reports(cell, who)
    own = [r for r in reports if r["party"] == who.party]
    rfis = queries.rfis(cell, who)
    shown = [r["summary_index"] if r["withheld"] else r["current_index"] for r in reports]
    shown += [q["requested_index"] for q in rfis]
    widened = _widened_at(cell, [r["id"] for r in reports if not r["withheld"]])
    readable = _readable(cell, who, shown + [w for ws in widened.values() for w in ws])
    copies: dict[int, int] = {}
    for r in reports:
        if not r["withheld"]:
            copies |= _widened_copies([r["current_index"]], widened[r["id"]], readable)
    return render(
        request,
        "intel.html",
        reports=reports,
        own_reports=own,
        rfis=rfis,
        readable=readable,
        copies=copies,
        **_common(request, cell, who),
    )


@router.get("/intel/r/{report}")
def report_page(request: Request, cell: CellDep, who: Member, report: str) -> Response:
    if not kinds.ID_RE.match(report):
        raise NotFound(NO_REPORT)  # a malformed id is as missing as an unknown one
    head = queries.report(cell, who, report)
    full = None if head["withheld"] else queries.open_body(cell, who, report)
    openings = queries.openings(cell, who, report) if head.get("openings_shown") else None
    current = full["versions"][-1] if full else None
    shown = [head["summary_index"] if head["withheld"] else head["current_index"]]
    shown += [v["index"] for v in full["versions"]] if full else []
    shown += [a["index"] for a in head.get("assessments", [])]
    versions = [v["index"] for v in full["versions"]] if full else []
    widened_at = _widened_at(cell, [report])[report]
    readable = _readable(cell, who, shown + widened_at)
    return render(
        request,
        "intel_report.html",
        r=head,
        full=full,
        current=current,
        openings=openings,
        opened_how=queries.OPENED_HOW,
        readable=readable,
        copies=_widened_copies(versions, widened_at, readable),
        originator=head["party"] == who.party,
        **_common(request, cell, who),
    )
