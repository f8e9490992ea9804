"""Who holds the duty: for projectors (inside the append's transaction) and for pages.

`on_duty` and `next_on_duty` take a Connection, so another capability's projector can ask
inside its own append ("a line check answered by someone not on duty is refused"): they
read only the shifts as the log made them up to that entry, and `rebuild` gives the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select

from fusioncell.authz import Principal
from fusioncell.authz.visibility import where_readable
from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.db import reading
from fusioncell.duty.kinds import MAX_SPAN, check_time, parse_time
from fusioncell.duty.tables import duty_handovers, duty_requests, duty_shifts
from fusioncell.errors import N_, Invalid, NotFound
from fusioncell.ledger.tables import log_members

# A holder's turn may be written as several shifts back to back; following them stops here.
MAX_RUN = 200
# The holder who just handed over may still write the hand-over note this long after.
HANDOVER_AFTER = timedelta(hours=2)

_AT = (
    select(duty_shifts)
    .where(
        duty_shifts.c.party == bindparam("p"),
        duty_shifts.c.start <= bindparam("at"),
        duty_shifts.c.end > bindparam("at"),
    )
    .limit(1)
)
_STARTING = (
    select(duty_shifts)
    .where(duty_shifts.c.party == bindparam("p"), duty_shifts.c.start == bindparam("at"))
    .limit(1)
)
_FROM = (
    select(duty_shifts)
    .where(duty_shifts.c.party == bindparam("p"), duty_shifts.c.start >= bindparam("at"))
    .order_by(duty_shifts.c.start)
    .limit(1)
)
_ENDED_BY = (
    select(duty_shifts.c.id)
    .where(
        duty_shifts.c.party == bindparam("p"),
        duty_shifts.c.member == bindparam("m"),
        duty_shifts.c.end > bindparam("since"),
        duty_shifts.c.end <= bindparam("at"),
    )
    .limit(1)
)


@dataclass(frozen=True, slots=True)
class ShiftRow:
    id: str
    party: str
    member: str
    start: str
    end: str
    idx: int
    changed_idx: int | None

    @classmethod
    def of(cls, r: Any) -> ShiftRow:
        return cls(
            r.id,
            r.party,
            r.member,
            r.start,
            r.end,
            int(r.idx),
            None if r.changed_idx is None else int(r.changed_idx),
        )

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "member": self.member, "start": self.start, "end": self.end}


def _at(at: datetime | str) -> str:
    return at if isinstance(at, str) else rfc3339(at)


def shift_at(conn: Connection, party: str, at: datetime | str) -> ShiftRow | None:
    """The party's shift in progress at `at` (start inclusive, end exclusive)."""
    r = conn.execute(_AT, {"p": party, "at": _at(at)}).first()
    return None if r is None else ShiftRow.of(r)


def on_duty(conn: Connection, party: str, at: datetime) -> str | None:
    """The member id holding the party's duty at `at` (an aware datetime), or None when no
    shift of its roster covers that time. A member disabled since keeps the shifts the
    roster gives them until the party admin publishes anew (the API shows them disabled)."""
    s = shift_at(conn, party, at)
    return None if s is None else s.member


def run_end(conn: Connection, shift: ShiftRow) -> str:
    """When the holder of `shift` hands over: its end, or the end of the shifts of the same
    member that follow it back to back."""
    end = shift.end
    for _ in range(MAX_RUN):
        r = conn.execute(_STARTING, {"p": shift.party, "at": end}).first()
        if r is None or r.member != shift.member:
            break
        end = r.end
    return end


def next_shift(conn: Connection, party: str, at: datetime | str) -> ShiftRow | None:
    """The shift that comes after the holder at `at` hands over (after `at` when nobody
    holds it): the next holder. The holder's own shifts back to back are one turn; after
    a gap, the same member may be next."""
    t = _at(at)
    now = shift_at(conn, party, t)
    r = conn.execute(_FROM, {"p": party, "at": run_end(conn, now) if now else t}).first()
    return None if r is None else ShiftRow.of(r)


def may_hand_over(conn: Connection, party: str, member: str, at: datetime | str) -> bool:
    """May `member` write the party's hand-over note at `at`: they hold the duty, are the
    next holder, or handed over less than HANDOVER_AFTER ago."""
    t = _at(at)
    for s in (shift_at(conn, party, t), next_shift(conn, party, t)):
        if s is not None and s.member == member:
            return True
    since = rfc3339(parse_time(t) - HANDOVER_AFTER)
    return (
        conn.execute(_ENDED_BY, {"p": party, "m": member, "since": since, "at": t}).first()
        is not None
    )


def next_on_duty(conn: Connection, party: str, at: datetime) -> tuple[str, datetime] | None:
    """The next member to hold the party's duty after `at`, and when they take it; None
    when the roster names nobody else after `at`."""
    s = next_shift(conn, party, at)
    return None if s is None else (s.member, parse_time(s.start))


# ---- for the API and the pages --------------------------------------------------------------

DEFAULT_BEHIND = timedelta(days=1)
DEFAULT_AHEAD = timedelta(days=7)
STATES = ("pending", "approved", "declined")


def _disabled(conn: Connection, members: set[str]) -> set[str]:
    if not members:
        return set()
    rows = conn.execute(
        select(log_members.c.member).where(
            log_members.c.member.in_(sorted(members)), log_members.c.disabled.is_not(None)
        )
    )
    return {r.member for r in rows}


def holders(conn: Connection, party: str, at: datetime | str) -> dict[str, Any]:
    """Who holds the party's duty at `at` and until when, and who comes next."""
    t = _at(at)
    cur = shift_at(conn, party, t)
    nxt = next_shift(conn, party, t)
    out: dict[str, Any] = {"party": party, "now": None, "next": None}
    if cur is not None:
        out["now"] = {
            "member": cur.member,
            "shift": cur.id,
            "since": cur.start,
            "until": run_end(conn, cur),
        }
    if nxt is not None:
        out["next"] = {
            "member": nxt.member,
            "shift": nxt.id,
            "from": nxt.start,
            "until": run_end(conn, nxt),
        }
    off = _disabled(conn, {s.member for s in (cur, nxt) if s is not None})
    for k in ("now", "next"):
        if out[k] is not None:
            out[k]["disabled"] = out[k]["member"] in off
    return out


def board(cell: Cell) -> dict[str, Any]:
    """For every party of the cell, in the charter's order: now, until when, and next."""
    now = rfc3339(cell.clock.now())
    charter = cell.charter
    with reading(cell.engine) as conn:
        parties = [{**holders(conn, p.code, now), "timezone": p.timezone} for p in charter.parties]
    return {"at": now, "parties": parties}


def _check_party(cell: Cell, party: str) -> None:
    if party not in cell.charter.codes:
        raise NotFound(N_("no such party"))


def window(cell: Cell, start: str | None, end: str | None) -> tuple[str, str]:
    """[from, to) from the query, in the log's time form; a day back and a week ahead by
    default, at most a roster's span."""
    now = cell.clock.now()
    lo = check_time(start, "from") if start else rfc3339(now - DEFAULT_BEHIND)
    hi = check_time(end, "to") if end else rfc3339(parse_time(lo) + DEFAULT_BEHIND + DEFAULT_AHEAD)
    if hi <= lo:
        raise Invalid(N_("'to' must come after 'from'"))
    if parse_time(hi) - parse_time(lo) > MAX_SPAN:
        raise Invalid(N_("ask for at most %(days)s days at a time"), days=MAX_SPAN.days)
    return lo, hi


def roster(cell: Cell, party: str, start: str | None, end: str | None) -> dict[str, Any]:
    """The party's shifts that overlap [from, to), oldest first."""
    _check_party(cell, party)
    lo, hi = window(cell, start, end)
    with reading(cell.engine) as conn:
        rows = [
            ShiftRow.of(r)
            for r in conn.execute(
                select(duty_shifts)
                .where(
                    duty_shifts.c.party == party,
                    duty_shifts.c.start < hi,
                    duty_shifts.c.end > lo,
                )
                .order_by(duty_shifts.c.start)
            )
        ]
        off = _disabled(conn, {s.member for s in rows})
    return {
        "party": party,
        "timezone": cell.charter.party(party).timezone,
        "from": lo,
        "to": hi,
        "shifts": [{**s.to_json(), "disabled": s.member in off} for s in rows],
    }


def _handover_json(r: Any) -> dict[str, Any]:
    return {
        "index": int(r.idx),
        "party": r.party,
        "member": r.member,
        "to": r.to_member,
        "text": r.text,
        "lang": r.lang,
        "time": r.time,
    }


def handovers(
    cell: Cell, who: Principal, party: str, *, before: int | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The party's hand-over notes the caller's party may read, newest first."""
    _check_party(cell, party)
    q = (
        select(duty_handovers)
        .where(duty_handovers.c.party == party)
        .order_by(duty_handovers.c.idx.desc())
        .limit(limit)
    )
    if before is not None:
        q = q.where(duty_handovers.c.idx < before)
    q = where_readable(q, duty_handovers.c.visibility, who, cell.ledger.genesis)
    with reading(cell.engine) as conn:
        return [_handover_json(r) for r in conn.execute(q)]


def _lapsed(conn: Connection, r: Any, now: str) -> bool:
    """A pending request that can no longer be approved as it stands (the admin declines it)."""
    if r.kind == "take":
        return r.until is not None and r.until <= now
    for sid, member in ((r.shift, r.member), (r.with_shift, r.with_member)):
        if sid is None:
            continue
        s = conn.execute(select(duty_shifts).where(duty_shifts.c.id == sid)).first()
        if s is None or s.member != member or s.start <= now:
            return True
    return False


def requests(
    cell: Cell, party: str, states: list[str] | None = None, *, limit: int = 50
) -> list[dict[str, Any]]:
    """The party's swap and take requests, newest first. Every party sees them, as it sees
    the roster they would change."""
    _check_party(cell, party)
    bad = [s for s in states or () if s not in STATES]
    if bad:
        raise Invalid(N_("state must be one of %(states)s"), states=", ".join(STATES))
    q = (
        select(duty_requests)
        .where(duty_requests.c.party == party)
        .order_by(duty_requests.c.idx.desc())
        .limit(limit)
    )
    if states:
        q = q.where(duty_requests.c.state.in_(states))
    now = rfc3339(cell.clock.now())
    out = []
    with reading(cell.engine) as conn:
        for r in conn.execute(q).all():
            item: dict[str, Any] = {
                "index": int(r.idx),
                "kind": r.kind,
                "member": r.member,
                "time": r.time,
                "state": r.state,
            }
            if r.kind == "swap":
                item.update(shift=r.shift, with_member=r.with_member, with_shift=r.with_shift)
                for k, sid in (("shift_times", r.shift), ("with_shift_times", r.with_shift)):
                    s = (
                        None
                        if sid is None
                        else conn.execute(
                            select(duty_shifts.c.start, duty_shifts.c.end).where(
                                duty_shifts.c.id == sid
                            )
                        ).first()
                    )
                    item[k] = None if s is None else {"start": s.start, "end": s.end}
            else:
                item["until"] = r.until
            if r.state == "pending":
                item["lapsed"] = _lapsed(conn, r, now)
            else:
                item["decided"] = {
                    "index": int(r.decided_idx),
                    "by": r.decided_by,
                    "time": r.decided_at,
                }
            out.append(item)
    return out
