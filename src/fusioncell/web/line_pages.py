"""The line's page: its state and history, each party's checks, answering a check,
sending one now, suspending and resuming.

The page only reads (fusioncell.line.queries); every write is a statement the member's
device signs in the browser (static/js/line.js) and appends at /log/v1/append."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.charter.schema import format_duration
from fusioncell.line import kinds, queries
from fusioncell.web.render import localized, page_language, render

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]


def delay(seconds: int | None) -> str:
    """A delay as h:mm:ss or m:ss (digits read alike in the three languages)."""
    if seconds is None:
        return ""
    h, rest = divmod(max(seconds, 0), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@router.get("/line")
def line_page(request: Request, cell: CellDep, who: Member) -> Response:
    lang = page_language(request)
    charter = cell.charter
    view = queries.overview(cell, who)
    languages = charter.languages
    sup = charter.supervisor
    mine: list[dict[str, Any]] = [c for c in view["open"] if c["party"] == who.party]
    return render(
        request,
        "line.html",
        line=view,
        mine=mine,
        zone=charter.party(who.party).timezone,
        party_names={p.code: localized(p.name, lang) for p in charter.parties},
        languages=languages,
        default_lang=lang if lang in languages else languages[0],
        max_reason=kinds.MAX_REASON_CHARS,
        can_append=who.can(Permission.LOG_APPEND),
        # A check on demand goes, by default, to every party but the supervisor's own.
        default_checked=[p for p in charter.codes if sup is None or p != sup.code],
        delay=delay,
        # The window as the charter writes it ("10m"), not as a clock reading ("10:00").
        within=format_duration(charter.line_checks.answer_within) if charter.line_checks else "",
    )
