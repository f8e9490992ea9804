"""Diplomatic engagement's pages: the rounds with their next round, one round with its
meetings and the follow-up items carried into it, and one meeting with its agenda, minutes
(every version), outcomes, follow-up items and its iCalendar file.

Pages only read (fusioncell.diplomacy.queries); every write is a statement the member's
device signs in the browser (static/js/diplomacy.js) and appends at /log/v1/append. Who
may do what is the projector's rule; the pages offer only what it would accept. Dates are
shown in the reader's language; times at the venue and in the reader's party's zone."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from zoneinfo import available_timezones

from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.cell import Cell
from fusioncell.diplomacy import kinds, queries
from fusioncell.diplomacy.ical import pick
from fusioncell.diplomacy.projector import NO_MEETING, NO_ROUND, RECORD_ROLES, ROUND_ROLES
from fusioncell.errors import NotFound
from fusioncell.web.i18n import environment
from fusioncell.web.render import localized, page_language, render

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]
# The venue's zone is typed with these offered (UTC, then the named zones).
ZONES = [
    "UTC",
    *sorted(
        z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
    ),
]


def day(lang: str) -> Any:
    """YYYY-MM-DD -> "6 January 2026" in the page's language."""

    def fmt(value: str) -> str:
        return format_date(date.fromisoformat(value), "long", locale=lang)

    return fmt


def venue_time(lang: str) -> Any:
    """A time as `moment` shows it, but in the venue's zone `tz` (UTC on hover)."""
    moment = environment(lang).filters["moment"]

    def fmt(t: str, tz: str) -> Markup:
        # `moment` reads the zone from the page's context; here it is the venue's.
        shown: Markup = moment({"reader_zone": tz}, t)
        return shown

    return fmt


def _common(request: Request, cell: Cell, who: Principal) -> dict[str, Any]:
    lang = page_language(request)
    charter = cell.charter
    languages = charter.languages
    sup = charter.supervisor
    writer = who.can(Permission.LOG_APPEND)
    return {
        "party_names": {p.code: localized(p.name, lang) for p in charter.parties},
        "parties": [p.code for p in charter.parties],
        "supervisor": sup.code if sup else "",
        "languages": languages,
        "default_lang": lang if lang in languages else languages[0],
        "zone": charter.party(who.party).timezone,
        "format_day": day(lang),
        "at_venue": venue_time(lang),
        "pick": lambda texts: pick(texts, lang),
        "attending": kinds.ATTENDING,
        "max_text": charter.cell.max_text_chars,
        "max_title": kinds.MAX_TITLE_CHARS,
        "may_organise": writer
        and sup is not None
        and who.party == sup.code
        and who.role.value in ROUND_ROLES,
        "writer": writer and who.role.value in RECORD_ROLES,
    }


@router.get("/diplomacy")
def diplomacy_list(request: Request, cell: CellDep, who: Member) -> Response:
    rows = queries.rounds(cell, who)
    return render(
        request,
        "diplomacy.html",
        rounds=rows,
        followable=[r for r in rows if r["end"] and not r["next"]["round"]],
        **_common(request, cell, who),
    )


@router.get("/diplomacy/r/{rid}")
def diplomacy_round(request: Request, cell: CellDep, who: Member, rid: str) -> Response:
    # A malformed id is as missing as a well-formed one nobody recorded (one 404).
    if not kinds.ROUND_RE.match(rid):
        raise NotFound(NO_ROUND)
    view = queries.round_view(cell, who, rid)
    return render(
        request,
        "diplomacy_round.html",
        view=view,
        r=view["round"],
        zones=ZONES,
        **_common(request, cell, who),
    )


@router.get("/diplomacy/m/{mid}")
def diplomacy_meeting(request: Request, cell: CellDep, who: Member, mid: str) -> Response:
    if not kinds.MEETING_RE.match(mid):
        raise NotFound(NO_MEETING)
    view = queries.meeting_view(cell, who, mid)
    common = _common(request, cell, who)
    m = view["meeting"]
    may_record = common["writer"] and who.party in m["parties"]
    return render(
        request,
        "diplomacy_meeting.html",
        view=view,
        m=m,
        may_record=may_record,
        may_close=lambda item: (
            may_record
            and item["state"] == "open"
            and who.party in (item["party"], common["supervisor"])
        ),
        **common,
    )
