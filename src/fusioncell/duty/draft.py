"""A roster drafted on the page: a pasted table, or a rotation, in the party's time zone,
turned into the exact body of `duty.roster.published` that the admin's device then signs.

The server only checks and converts here (wall-clock times in an IANA zone, daylight
saving included, are easier to get right with zoneinfo than in a browser); nothing is
written. The entry is checked again, the same way, when it is appended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fusioncell.authz import Permission, Principal
from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.db import reading
from fusioncell.duty import kinds
from fusioncell.duty.projector import check_roster
from fusioncell.errors import N_, Forbidden, Invalid, NotFound

_LOCAL_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$")
_SEPARATORS = re.compile(r"[,;\t|]")
MAX_TABLE_CHARS = 100_000
ROTATION_HOURS = (4, 6, 8, 12, 24)


def local_time(value: str, zone: ZoneInfo, what: str) -> str:
    """ "2026-11-26 08:00" in `zone` (or an RFC 3339 time with its offset) -> log form."""
    value = value.strip()
    m = _LOCAL_RE.match(value)
    if m is None:
        return kinds.check_time(value, what)
    try:
        y, mo, d, h, mi = (int(g) for g in m.groups())
        naive = datetime(y, mo, d, h, mi)  # a wall-clock time, zoned below
    except ValueError:
        raise Invalid(N_("%(what)s is not a valid date and time"), what=what) from None
    t = naive.replace(tzinfo=zone)
    back = t.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != naive:
        raise Invalid(
            N_("%(what)s: %(time)s does not exist in %(zone)s (the clocks change that day)"),
            what=what,
            time=value,
            zone=zone.key,
        )
    return rfc3339(t)


def wall(t: str, zone: ZoneInfo) -> str:
    """A log time as the table writes it, in `zone`."""
    return kinds.parse_time(t).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def parse_table(text: str, zone: ZoneInfo) -> list[kinds.Shift]:
    """One shift per line, `member, start, end` (commas, semicolons, tabs or bars between),
    times as YYYY-MM-DD HH:MM in the party's zone; blank lines and # comments skipped."""
    if len(text) > MAX_TABLE_CHARS:
        raise Invalid(N_("the table is longer than %(n)s characters"), n=MAX_TABLE_CHARS)
    shifts: list[kinds.Shift] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in _SEPARATORS.split(line)]
        if len(cells) != 3:
            raise Invalid(
                N_(
                    "line %(n)s: write member, start, end (e.g. il-duty, 2026-11-26 08:00,"
                    " 2026-11-26 16:00)"
                ),
                n=n,
            )
        try:
            member = kinds.check_member(cells[0])
            start = local_time(cells[1], zone, "start")
            end = local_time(cells[2], zone, "end")
        except Invalid as exc:
            raise Invalid(N_("line %(n)s: %(problem)s"), n=n, problem=exc.message) from None
        shifts.append(kinds.Shift(member, start, end))
    if not shifts:
        raise Invalid(N_("a roster has at least one shift"))
    return shifts


def rotation(
    members: list[str], start: str, hours: int, count: int, zone: ZoneInfo
) -> list[kinds.Shift]:
    """`count` shifts of `hours` each from `start` (local), the members taking turns in the
    order given. Shifts follow each other in real time, so a day the clocks change has one
    shift an hour longer or shorter on the wall clock, none on the real one."""
    if not members:
        raise Invalid(N_("choose at least one member for the rotation"))
    if hours not in ROTATION_HOURS:
        raise Invalid(
            N_("a rotation's shifts last %(hours)s hours"),
            hours=", ".join(str(h) for h in ROTATION_HOURS),
        )
    if not 1 <= count <= kinds.MAX_SHIFTS:
        raise Invalid(N_("a roster has at most %(n)s shifts"), n=kinds.MAX_SHIFTS)
    t = kinds.parse_time(local_time(start, zone, "start"))
    step = timedelta(hours=hours)
    out = []
    for i in range(count):
        member = kinds.check_member(members[i % len(members)])
        out.append(kinds.Shift(member, rfc3339(t + i * step), rfc3339(t + (i + 1) * step)))
    return out


@dataclass(frozen=True, slots=True)
class Rotation:
    members: list[str]
    start: str  # local, in the party's zone
    hours: int
    count: int


@dataclass(frozen=True, slots=True)
class Draft:
    body: dict[str, Any]  # the roster's body, ready to sign (without its salt)
    table: str  # the shifts as the table writes them, in the party's zone

    def to_json(self) -> dict[str, Any]:
        return {"body": self.body, "table": self.table}


def draft(
    cell: Cell,
    who: Principal,
    party: str,
    *,
    table: str | None = None,
    rota: Rotation | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Draft:
    """Check a drafted roster as the log would, now, and return the body to sign."""
    charter = cell.charter
    if party not in charter.codes:
        raise NotFound(N_("no such party"))
    if who.party != party or not who.can(Permission.DUTY_MANAGE):
        raise Forbidden(N_("only the party admin manages the party's roster"))
    zone = ZoneInfo(charter.party(party).timezone)
    if table is not None and rota is None:
        shifts = parse_table(table, zone)
    elif rota is not None and table is None:
        shifts = rotation(rota.members, rota.start, rota.hours, rota.count, zone)
    else:
        raise Invalid(N_("send a table or a rotation"))
    lo = local_time(start, zone, "from") if start else min(s.start for s in shifts)
    hi = local_time(end, zone, "to") if end else max(s.end for s in shifts)
    body: dict[str, Any] = {
        "party": party,
        "from": lo,
        "to": hi,
        "shifts": [{"member": s.member, "start": s.start, "end": s.end} for s in shifts],
    }
    parsed = kinds.parse_body(kinds.ROSTER, body, charter)
    with reading(cell.engine) as conn:
        check_roster(conn, parsed, rfc3339(cell.clock.now()), charter)
    text = "\n".join(f"{s.member}, {wall(s.start, zone)}, {wall(s.end, zone)}" for s in shifts)
    return Draft(body, text + "\n")
