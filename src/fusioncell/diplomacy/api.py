"""Diplomatic engagement's JSON API (/api/v1/diplomacy). Reads only: every write is a
statement the member's device signs and appends at /log/v1/append (docs/diplomacy.md lists
the kinds)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.api.openapi import file_responses
from fusioncell.authz import Permission, Principal
from fusioncell.diplomacy import kinds, queries
from fusioncell.diplomacy.ical import meeting_ics
from fusioncell.errors import N_, Invalid

router = APIRouter(prefix="/api/v1/diplomacy", tags=["diplomacy"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]
RoundId = Annotated[str, Path(pattern=kinds.ROUND_RE.pattern)]
MeetingId = Annotated[str, Path(pattern=kinds.MEETING_RE.pattern)]


@router.get("/rounds")
def rounds(cell: CellDep, who: Reader) -> dict[str, Any]:
    """The rounds the caller's party may see, latest first, each with its next round."""
    return {"rounds": queries.rounds(cell, who)}


@router.get("/rounds/{rid}")
def round_(cell: CellDep, who: Reader, rid: RoundId) -> dict[str, Any]:
    """A round: its meetings, items carried over, open follow-ups and agenda."""
    return queries.round_view(cell, who, rid)


@router.get(
    "/meetings/{mid}.ics", response_class=Response, responses=file_responses("text/calendar")
)
def meeting_calendar(
    cell: CellDep,
    who: Reader,
    mid: MeetingId,
    lang: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """The meeting as an iCalendar file, its summary and location in `lang` where given."""
    if lang is not None and lang not in cell.charter.languages:
        raise Invalid(
            N_("language must be one of the cell's languages: %(languages)s"),
            languages=", ".join(cell.charter.languages),
        )
    view = queries.meeting_view(cell, who, mid)
    return Response(
        meeting_ics(view, cell.ledger.origin, lang),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{mid}.ics"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-cache",
        },
    )


@router.get("/meetings/{mid}")
def meeting(cell: CellDep, who: Reader, mid: MeetingId) -> dict[str, Any]:
    """A meeting: agenda, every version of its minutes, outcomes and follow-up items."""
    return queries.meeting_view(cell, who, mid)
