"""The demo's line (fusioncell.demo): a morning of line checks and one suspension, written
before the rest of the demo so that its times are in the past and true to the log.

A check is late or missed only once its time has passed, and the log takes the server's
time for every entry, so the demo cell is made on a `DemoClock` that starts before the
latest scheduled slot and moves as this history needs; `release` hands it to real time
before the rest of the demo is written. Every entry is signed as usual: the members' demo
keys, and the log key for what the engine writes.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from fusioncell.cell import Cell
from fusioncell.charter.schema import paris_charter_text, parse_charter
from fusioncell.clock import rfc3339
from fusioncell.deadlines.engine import DeadlineEngine
from fusioncell.duty import kinds as duty_kinds
from fusioncell.identity.devices import post_as
from fusioncell.ledger.entry import Author
from fusioncell.ledger.keys import SigningKey
from fusioncell.line import kinds
from fusioncell.line.schedule import LineCheckSchedule, latest_slot, slot_check_id

LEAD = timedelta(minutes=40)  # the cell is made this long before the scheduled check
HOLDERS = {"IL": "il-duty", "SY": "sy-duty", "US": "us-duty"}  # on duty that morning
SUSPENSION = ("ar", "نعلّق الخط مؤقتاً احتجاجاً على التحليق فوق المنطقة العازلة هذا الصباح.")
RESUMPTION = (
    "en",
    "Resumed after consultations with both parties; the overflight is on the agenda.",
)


class DemoClock:
    """A clock that starts in the past and moves only when told, until `release`d to the
    real time. Never goes back."""

    def __init__(self, start: datetime) -> None:
        self._at: datetime | None = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._at if self._at is not None else datetime.now(UTC)

    def set(self, t: datetime) -> None:
        with self._lock:
            if self._at is None or t < self._at:
                raise ValueError("the demo clock only moves forward, and not once released")
            self._at = t

    def release(self) -> None:
        with self._lock:
            if self._at is not None and self._at > datetime.now(UTC):
                raise ValueError("the demo clock ran ahead of the real time")
            self._at = None


def demo_clock(now: datetime | None = None) -> DemoClock:
    """Where the demo's history begins: LEAD before the latest scheduled slot at least two
    hours ago (the Paris charter's slots are 8 and 16 hours apart), so that the whole
    story ends before now."""
    now = now or datetime.now(UTC)
    lc = parse_charter(paris_charter_text()).line_checks
    slot = latest_slot(lc, now - timedelta(hours=2)) if lc is not None else None
    return DemoClock((slot or now - timedelta(hours=2)) - LEAD)


class _Story:
    """Writes the demo's line entries, each at its time after the slot."""

    def __init__(self, cell: Cell, keys: dict[str, SigningKey], clock: DemoClock) -> None:
        self.cell = cell
        self.keys = keys
        self.clock = clock
        self.start = clock.now()
        self.slot = self.start + LEAD
        self.everyone = cell.charter.codes
        self.engine = DeadlineEngine(cell, schedules=[LineCheckSchedule(cell)])

    def at(self, delta: timedelta) -> None:
        self.clock.set(self.slot + delta)

    def write(self, member: str, kind: str, subject: str, body: dict[str, Any]) -> int:
        key = self.keys[member]
        author = Author(member[:2].upper(), member, key.key_id_hex)
        return post_as(self.cell, key, author, kind, subject, self.everyone, body).index

    def rosters(self) -> None:
        """Each party's duty officer holds the duty that morning (the week's rosters,
        written later, begin at the real time)."""
        start = rfc3339(self.start)
        until = rfc3339(self.slot + timedelta(hours=1, minutes=10))
        for party, holder in HOLDERS.items():
            admin = f"{party.lower()}-admin"
            if admin not in self.keys:
                continue
            shifts = [{"member": holder, "start": start, "end": until}]
            body = {"party": party, "from": start, "to": until, "shifts": shifts}
            self.write(admin, duty_kinds.ROSTER, duty_kinds.subject(party), body)

    def request(self, check: str, parties: list[str]) -> None:
        body = {"check": check, "parties": parties}
        self.write("us-supervisor", kinds.REQUESTED, kinds.check_subject(check), body)

    def answer(self, party: str, check: str) -> None:
        self.write(HOLDERS[party], kinds.ANSWERED, kinds.check_subject(check), {"check": check})

    def declare(self, member: str, state: str, said: tuple[str, str]) -> None:
        lang, text = said
        body = {"state": state, "text": text, "lang": lang}
        self.write(member, kinds.DECLARED, kinds.STATUS_SUBJECT, body)


def seed_line(cell: Cell, keys: dict[str, SigningKey]) -> None:
    """Rosters for the morning, an on-demand check answered by all, the scheduled check
    answered on time by two parties and late by the third, a check missed during a
    suspension, and the suspension (in Arabic) lifted by the supervisor. Then the clock is
    released. Does nothing unless the cell runs on a DemoClock."""
    clock = cell.clock
    if not isinstance(clock, DemoClock):
        return
    needed = [*HOLDERS.values(), "us-supervisor", "sy-head"]
    if cell.charter.line_checks is None or any(m not in keys for m in needed):
        clock.release()
        return
    s = _Story(cell, keys, clock)
    s.rosters()
    s.at(timedelta(minutes=-25))
    s.request("opening-check-1", s.everyone)
    for party, minutes in (("IL", -23), ("SY", -21), ("US", -20)):
        s.at(timedelta(minutes=minutes))
        s.answer(party, "opening-check-1")
    s.at(timedelta(seconds=2))
    s.engine.run_due()  # the charter's check of the slot
    scheduled = slot_check_id(s.slot)
    s.at(timedelta(minutes=3))
    s.answer("IL", scheduled)
    s.at(timedelta(minutes=6))
    s.answer("US", scheduled)
    s.at(timedelta(minutes=10, seconds=3))
    s.engine.run_due()  # SY missed it: the missed entry and its escalation
    s.at(timedelta(minutes=14))
    s.answer("SY", scheduled)  # late
    s.at(timedelta(minutes=20))
    s.declare("sy-head", kinds.SUSPENDED, SUSPENSION)
    s.at(timedelta(minutes=25))
    s.request("during-suspension-1", ["IL", "SY"])
    s.at(timedelta(minutes=27))
    s.answer("IL", "during-suspension-1")
    s.at(timedelta(minutes=35, seconds=3))
    s.engine.run_due()  # SY missed it
    s.at(timedelta(minutes=50))
    s.declare("us-supervisor", kinds.RESUMED, RESUMPTION)
    clock.release()
