"""The duty rosters' pages: who is on duty for every party, a party's roster, hand-over
notes, swap and take requests, and the party admin's roster form.

Pages only read (fusioncell.duty.queries); every write is a statement the member's device
signs in the browser (static/js/duty.js) and appends at /log/v1/append. Times are shown in
the party's time zone (the charter's) and, where it differs, in the reader's party's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal, Role
from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.db import reading
from fusioncell.duty import kinds, queries
from fusioncell.duty.draft import ROTATION_HOURS
from fusioncell.errors import N_, Invalid, NotFound
from fusioncell.identity.accounts import list_members
from fusioncell.web.i18n import translate
from fusioncell.web.render import localized, page_language, render

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]
MAX_DAYS = 31


def shift_time(lang: str) -> Any:
    """t (log form) -> "Thu, Nov 26 10:00" in `zone`, in the page's language."""

    def fmt(t: str, zone: str) -> str:
        local = kinds.parse_time(t).astimezone(ZoneInfo(zone))
        day = format_skeleton("MMMEd", local, locale=lang)
        return f"{day} {format_skeleton('Hm', local, locale=lang)}"

    return fmt


def both_zones(lang: str, viewer_zone: str) -> Any:
    """t, zone -> the time in `zone` and, where the reader's zone differs, theirs too; as
    the `moment` filter does, the UTC time on hover and in `datetime`."""
    fmt = shift_time(lang)

    def both(t: str, zone: str) -> Markup:
        utc = kinds.parse_time(t).astimezone(UTC)
        shown = Markup('<time datetime="{}" title="{}"><bdi>{}</bdi></time>').format(
            utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
            fmt(t, zone),
        )
        if zone == viewer_zone:
            return shown
        yours = translate(lang, N_("yours: %(time)s"), {"time": fmt(t, viewer_zone)})
        return shown + Markup(' <span class="small muted">({})</span>').format(yours)

    return both


def board_context(request: Request, cell: Cell, who: Principal) -> dict[str, Any]:
    """What the board of who is on duty needs (the home page shows it too). `change_at`:
    the next time it changes by itself (a shift ends or begins), when the page fetches it
    again."""
    lang = page_language(request)
    zone = cell.charter.party(who.party).timezone
    board = queries.board(cell)
    edges = [
        t
        for p in board["parties"]
        for t in (p["now"] and p["now"]["until"], p["next"] and p["next"]["from"])
        if t
    ]
    # Where no roster covers now, the board names the party's duty officers by role.
    officers: dict[str, list[str]] = {}
    for m in list_members(cell.engine):
        if m.active and m.role is Role.DUTY_OFFICER:
            officers.setdefault(m.party, []).append(m.member)
    return {
        "board": board,
        "change_at": min(edges, default=""),
        "officers": officers,
        "party_names": {p.code: localized(p.name, lang) for p in cell.charter.parties},
        "both": both_zones(lang, zone),
    }


def _party(cell: Cell, party: str | None, who: Principal) -> str:
    code = party or who.party
    if code not in cell.charter.codes:
        raise NotFound(N_("no such party"))
    return code


def _start_day(value: str | None, zone: ZoneInfo, now: datetime) -> date:
    if not value:
        return now.astimezone(zone).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(N_("'from' is a date, YYYY-MM-DD")) from None


def _holders(cell: Cell, party: str) -> list[str]:
    """The party's members who can hold its duty: enabled, with a role that may write."""
    return sorted(
        m.member
        for m in list_members(cell.engine, party)
        if m.active and Permission.LOG_APPEND in cell.charter.permissions(m.role)
    )


@router.get("/duty")
def duty_page(
    request: Request,
    cell: CellDep,
    who: Member,
    party: Annotated[str | None, Query(max_length=8)] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 7,
) -> Response:
    code = _party(cell, party, who)
    charter = cell.charter
    zone_name = charter.party(code).timezone
    zone = ZoneInfo(zone_name)
    now_dt = cell.clock.now()
    now = rfc3339(now_dt)
    day = _start_day(from_, zone, now_dt)
    lo = datetime(day.year, day.month, day.day, tzinfo=zone)
    hi = lo + timedelta(days=days)
    roster = queries.roster(cell, code, rfc3339(lo), rfc3339(hi))
    own = who.party == code
    can_write = own and who.can(Permission.LOG_APPEND)
    is_admin = own and who.can(Permission.DUTY_MANAGE)
    with reading(cell.engine) as conn:
        here = queries.holders(conn, code, now)
        may_note = can_write and queries.may_hand_over(conn, code, who.member, now)
    lang = page_language(request)
    languages = charter.languages
    return render(
        request,
        "duty.html",
        party=code,
        party_zone=zone_name,
        roster=roster,
        now=now,
        day=day.isoformat(),
        days=days,
        prev_day=(day - timedelta(days=days)).isoformat(),
        next_day=(day + timedelta(days=days)).isoformat(),
        own=own,
        can_write=can_write,
        is_admin=is_admin,
        here=here,
        may_note=may_note,
        members=_holders(cell, code) if own else [],
        handovers=queries.handovers(cell, who, code, limit=20),
        requests=queries.requests(cell, code, limit=30),
        visibility=",".join(sorted(charter.codes)),
        languages=languages,
        default_lang=lang if lang in languages else languages[0],
        rotation_hours=ROTATION_HOURS,
        # the next full hour in the party's zone: a roster cannot begin in the past
        rotation_start=(now_dt.astimezone(zone) + timedelta(hours=1))
        .replace(minute=0, second=0, microsecond=0)
        .strftime("%Y-%m-%dT%H:%M"),
        max_note=kinds.MAX_NOTE_CHARS,
        shift_time=shift_time(lang),
        zone=cell.charter.party(who.party).timezone,
        **board_context(request, cell, who),
    )


@router.get("/duty/board")
def duty_board(request: Request, cell: CellDep, who: Member) -> Response:
    """The board alone, as HTML: the pages fetch it again when a shift changes hands."""
    return render(request, "duty_board.html", **board_context(request, cell, who))
