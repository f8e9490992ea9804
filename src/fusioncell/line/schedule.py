"""The charter's line-check timetable, and the Schedule the deadline engine runs it with.

A slot is one of the charter's `[line_checks] times` on one day, in the charter's time
zone (zoneinfo), as a UTC instant. Days of a clock change keep one slot per time: a time
the clock skips (02:30 when 02:00 jumps to 03:00) falls at the instant the zone gives it
with the offset in force before the change (03:30 there), and a time that happens twice
(01:30 when 02:00 goes back to 01:00) is taken the first time.

Catch-up after downtime: the engine writes at most one check, the latest slot that has
passed, and only while its answer window is still open (slot + answer_within). A check at
any other time would be a check the charter did not set: the supervisor sends one on
demand if it is wanted. Slots that passed while no engine ran are not written at all; the
log shows the gap. The slot is in the entry's body and names the check (`s-YYYYMMDD-HHMM`,
UTC), so the projector refuses a slot already sent, however many engines race.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from fusioncell.cell import Cell
from fusioncell.charter.schema import LineChecks
from fusioncell.clock import parse_rfc3339, rfc3339
from fusioncell.deadlines.schedule import Action
from fusioncell.ledger.tables import log_entries
from fusioncell.line import kinds
from fusioncell.line.tables import line_checks

_DAY = timedelta(days=1)


def _slots_on(lc: LineChecks, day: date) -> list[datetime]:
    tz = ZoneInfo(lc.timezone)
    # fold=0: the first of a repeated time; a skipped time keeps the earlier offset.
    return [datetime.combine(day, t, tzinfo=tz).astimezone(UTC) for t in lc.times]


def slots_between(lc: LineChecks, start: datetime, end: datetime) -> list[datetime]:
    """Every slot in [start, end], in order, as UTC instants."""
    tz = ZoneInfo(lc.timezone)
    day = start.astimezone(tz).date() - _DAY
    last = end.astimezone(tz).date() + _DAY
    found: set[datetime] = set()
    while day <= last:
        found.update(s for s in _slots_on(lc, day) if start <= s <= end)
        day += _DAY
    return sorted(found)


def latest_slot(lc: LineChecks, now: datetime) -> datetime | None:
    """The newest slot at or before `now` (every day has one, so two days back suffice)."""
    slots = slots_between(lc, now - 2 * _DAY, now)
    return slots[-1] if slots else None


def next_slot(lc: LineChecks, now: datetime) -> datetime | None:
    """The first slot strictly after `now`."""
    slots = [s for s in slots_between(lc, now, now + 2 * _DAY) if s > now]
    return slots[0] if slots else None


def is_slot(lc: LineChecks, t: datetime) -> bool:
    return t in slots_between(lc, t, t)


def slot_check_id(slot: datetime) -> str:
    """The check id of a slot: `s-` and its UTC date and time, e.g. s-20261126-0600."""
    return kinds.SCHEDULED_PREFIX + slot.astimezone(UTC).strftime("%Y%m%d-%H%M")


def slot_action(slot: datetime, parties: list[str]) -> Action:
    check = slot_check_id(slot)
    return Action(
        kind=kinds.SENT,
        subject=kinds.check_subject(check),
        visibility=list(parties),
        body={"check": check, "slot": rfc3339(slot), "parties": list(parties)},
    )


def _sent(conn: Connection, check: str) -> bool:
    q = select(line_checks.c.check_id).where(line_checks.c.check_id == check).limit(1)
    return conn.execute(q).first() is not None


def _born(conn: Connection) -> datetime:
    """When the cell's log began: the time of entry 0, the charter."""
    return parse_rfc3339(
        conn.execute(select(log_entries.c.time).where(log_entries.c.idx == 0)).scalar_one()
    )


class LineCheckSchedule:
    """The deadline engine's Schedule for line checks (fusioncell.deadlines.schedule)."""

    def __init__(self, cell: Cell) -> None:
        self.cell = cell

    def _timetable(self) -> LineChecks | None:
        return self.cell.charter.line_checks

    def due(self, conn: Connection, now: datetime) -> list[Action]:
        """The latest passed slot, while its answer window is open and it is not sent."""
        lc = self._timetable()
        if lc is None:
            return []
        slot = latest_slot(lc, now)
        if slot is None or now >= slot + lc.answer_within or _sent(conn, slot_check_id(slot)):
            return []
        if slot < _born(conn):  # a slot that passed before the cell existed is not its own
            return []
        # Every party is checked, the supervisor's duty desk included.
        return [slot_action(slot, self.cell.charter.codes)]

    def next_at(self, conn: Connection, now: datetime) -> datetime | None:
        lc = self._timetable()
        return None if lc is None else next_slot(lc, now)
