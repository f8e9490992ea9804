"""Reading the line: its state and history, the checks per party, who may do what.

Every line entry is visible to every party, so these reads need no visibility filter.
`line_state`, `suspended_at` and `suspended_between` take a Connection so that another
capability can ask inside its own transaction (the cell marks messages sent while the
line was suspended).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from fusioncell.authz import Principal, Role
from fusioncell.cell import Cell
from fusioncell.clock import parse_rfc3339, rfc3339
from fusioncell.db import reading
from fusioncell.duty.queries import on_duty
from fusioncell.line import kinds
from fusioncell.line.projector import DECLARERS, OPEN, REQUESTERS
from fusioncell.line.schedule import next_slot
from fusioncell.line.tables import line_checks, line_status

MAX_CHECKS = 200  # per party, the newest first


@dataclass(frozen=True, slots=True)
class Suspension:
    """A period the line was suspended: from the entry `idx` to the entry `resumed_idx`
    that resumed it (None: still suspended)."""

    idx: int
    time: str
    party: str
    member: str
    text: str | None
    lang: str | None
    resumed_idx: int | None = None
    resumed_at: str | None = None

    def covers(self, index: int) -> bool:
        """Whether the entry at `index` was written while this suspension was in force."""
        return self.idx < index and (self.resumed_idx is None or index < self.resumed_idx)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def line_state(conn: Connection) -> tuple[str, int | None]:
    """The line's state, "suspended" or "resumed", and the index of the entry that declared
    it (None: never declared; the line is in service)."""
    r = conn.execute(
        select(line_status.c.state, line_status.c.idx).order_by(line_status.c.idx.desc()).limit(1)
    ).first()
    return (kinds.RESUMED, None) if r is None else (str(r.state), int(r.idx))


def suspended_between(conn: Connection, start: int, end: int) -> list[Suspension]:
    """The suspensions in force at some entry of the log indexes [start, end], oldest
    first. An entry at index i was written while the line was suspended exactly when one
    of them `covers(i)`. (The history is a handful of rows: it is read whole.)"""
    rows = conn.execute(select(line_status).order_by(line_status.c.idx)).all()
    out = []
    for s in _periods(rows):
        first = max(start, s.idx + 1)  # the first entry of [start, end] it covers
        last = end if s.resumed_idx is None else min(end, s.resumed_idx - 1)
        if first <= last:
            out.append(s)
    return out


def suspended_at(conn: Connection, index: int) -> Suspension | None:
    """The suspension in force when the entry at `index` was written, if any (as
    `Suspension.covers`: a declaration itself is under none)."""
    r = conn.execute(
        select(line_status)
        .where(line_status.c.idx <= index)
        .order_by(line_status.c.idx.desc())
        .limit(1)
    ).first()
    if r is None or r.state != kinds.SUSPENDED or int(r.idx) == index:
        return None
    return Suspension(int(r.idx), r.time, r.party, r.member, r.text, r.lang)


def _periods(rows: Sequence[Any]) -> list[Suspension]:
    out: list[Suspension] = []
    for r in rows:
        if r.state == kinds.SUSPENDED:
            out.append(Suspension(int(r.idx), r.time, r.party, r.member, r.text, r.lang))
        elif out and out[-1].resumed_idx is None:
            last = out[-1]
            out[-1] = Suspension(
                last.idx, last.time, last.party, last.member, last.text, last.lang,
                int(r.idx), r.time,
            )  # fmt: skip
    return out


# ---- the page's and the API's view -------------------------------------------------------


def _status_json(r: Any) -> dict[str, Any]:
    return {
        "index": int(r.idx),
        "time": r.time,
        "state": r.state,
        "party": r.party,
        "member": r.member,
        "text": r.text,
        "lang": r.lang,
    }


def _check_json(r: Any, now: str) -> dict[str, Any]:
    late_by = None
    if r.answered_at is not None and r.answered_at > r.due:
        late_by = int((parse_rfc3339(r.answered_at) - parse_rfc3339(r.due)).total_seconds())
    return {
        "check": r.check_id,
        "party": r.party,
        "index": int(r.opened_idx),
        "sent_at": r.sent_at,
        "due": r.due,
        "slot": r.slot,
        "on_demand": bool(r.on_demand),
        "requested_by": r.requested_by,
        "state": r.state,
        "overdue": r.state == OPEN and r.due <= now,
        "answered": None
        if r.answered_idx is None
        else {"index": int(r.answered_idx), "member": r.answered_by, "time": r.answered_at},
        "late_by": late_by,  # seconds after the deadline
        "missed_index": None if r.missed_idx is None else int(r.missed_idx),
    }


def may_request(cell: Cell, who: Principal) -> bool:
    sup = cell.charter.supervisor
    return (
        sup is not None
        and who.party == sup.code
        and who.role.value in REQUESTERS
        and cell.charter.line_checks is not None
    )


def may_declare(cell: Cell, who: Principal, state: str, suspended_by: str | None) -> bool:
    """Whether `who` may declare `state` now, by the projector's rules (the page offers
    only what the log would take)."""
    sup = cell.charter.supervisor
    supervising = sup is not None and who.party == sup.code
    if who.role.value not in DECLARERS or (who.role is Role.SUPERVISOR and not supervising):
        return False
    if state == kinds.RESUMED:
        return suspended_by is not None and (supervising or who.party == suspended_by)
    return suspended_by is None


def overview(
    cell: Cell, who: Principal, limit: int = 20, now: datetime | None = None
) -> dict[str, Any]:
    """The line as a member sees it: its state and history, the newest `limit` checks of
    each party, the checks still open, who holds each party's duty, and what the member
    may do (answer which checks, send one, suspend or resume)."""
    charter = cell.charter
    at = now or cell.clock.now()
    stamp = rfc3339(at)
    limit = max(1, min(limit, MAX_CHECKS))
    with reading(cell.engine) as conn:
        history = [
            _status_json(r)
            for r in conn.execute(select(line_status).order_by(line_status.c.idx.desc()))
        ]
        # The newest `limit` rows per party: ranked in the database, not all read.
        rank = (
            func.row_number()
            .over(partition_by=line_checks.c.party, order_by=line_checks.c.opened_idx.desc())
            .label("n")
        )
        ranked = select(line_checks, rank).subquery()
        recent = conn.execute(
            select(ranked).where(ranked.c.n <= limit).order_by(ranked.c.opened_idx.desc())
        ).all()
        open_rows = conn.execute(
            select(line_checks)
            .where(line_checks.c.state == OPEN)
            .order_by(line_checks.c.due, line_checks.c.party)
        ).all()
        counts = conn.execute(
            select(line_checks.c.party, line_checks.c.state, func.count()).group_by(
                line_checks.c.party, line_checks.c.state
            )
        ).all()
        duty = {p: on_duty(conn, p, at) for p in charter.codes}
        state, since_idx = line_state(conn)
    checks: dict[str, list[dict[str, Any]]] = {p: [] for p in charter.codes}
    for r in recent:
        checks.setdefault(r.party, []).append(_check_json(r, stamp))
    totals: dict[str, dict[str, int]] = {p: {} for p in charter.codes}
    for party, st, n in counts:
        totals.setdefault(party, {})[st] = int(n)
    open_checks = [_check_json(r, stamp) for r in open_rows]
    since = history[0] if history else None
    suspended_by = since["party"] if since and state == kinds.SUSPENDED else None
    lc = charter.line_checks
    nxt = next_slot(lc, at) if lc is not None else None
    return {
        "state": state,
        "since": since if since_idx is not None else None,
        "history": history,
        "checks": checks,
        "totals": totals,
        "open": open_checks,
        "on_duty": duty,
        "schedule": None
        if lc is None
        else {
            "times": [t.strftime("%H:%M") for t in lc.times],
            "timezone": lc.timezone,
            "answer_within": int(lc.answer_within.total_seconds()),
            "next": None if nxt is None else rfc3339(nxt),
        },
        "you": {
            "on_duty": duty.get(who.party) == who.member,
            "answer": [
                c["check"]
                for c in open_checks
                if c["party"] == who.party and duty.get(who.party) == who.member
            ],
            "may_request": may_request(cell, who),
            "may_suspend": may_declare(cell, who, kinds.SUSPENDED, suspended_by),
            "may_resume": may_declare(cell, who, kinds.RESUMED, suspended_by),
        },
    }


def check_rows(cell: Cell, check: str) -> list[dict[str, Any]]:
    """One check, a row per party checked (empty when there is no such check)."""
    stamp = rfc3339(cell.clock.now())
    with reading(cell.engine) as conn:
        rows = conn.execute(
            select(line_checks).where(line_checks.c.check_id == check).order_by(line_checks.c.party)
        ).all()
    return [_check_json(r, stamp) for r in rows]


def summary(cell: Cell, who: Principal) -> dict[str, Any]:
    """The line in one line (the home page): its state, since when, by whom and why, and
    the checks the reader's party has open."""
    with reading(cell.engine) as conn:
        r = conn.execute(select(line_status).order_by(line_status.c.idx.desc()).limit(1)).first()
        owed = conn.execute(
            select(func.count())
            .select_from(line_checks)
            .where(line_checks.c.state == OPEN, line_checks.c.party == who.party)
        ).scalar()
    return {
        "state": kinds.RESUMED if r is None else r.state,
        "since": None if r is None else _status_json(r),
        "open": int(owed or 0),
    }
