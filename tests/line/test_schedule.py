"""The charter's timetable: slots in the charter's time zone (clock changes included),
catch-up after downtime without flooding the log, and each slot written once, by the
deadline engine or by anyone racing it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from fusioncell.cell import Cell, init_cell
from fusioncell.charter.schema import LineChecks, paris_charter_text
from fusioncell.clock import FrozenClock, rfc3339
from fusioncell.deadlines import deadlines
from fusioncell.deadlines.engine import DeadlineEngine
from fusioncell.deadlines.schedule import Action
from fusioncell.errors import Conflict, Forbidden, Invalid
from fusioncell.identity.devices import post_as
from fusioncell.ledger.canonical import b64e
from fusioncell.ledger.entry import (
    SYSTEM_MEMBER,
    SYSTEM_PARTY,
    Author,
    build_statement,
    parse_submission,
)
from fusioncell.ledger.store import Appended
from fusioncell.line import kinds
from fusioncell.line.schedule import (
    LineCheckSchedule,
    latest_slot,
    next_slot,
    slot_action,
    slot_check_id,
    slots_between,
)
from fusioncell.line.tables import line_checks
from fusioncell.settings import Settings
from tests.line.conftest import PARTIES, START, Person, clock


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def timetable(tz: str, *times: str, within: str = "10m") -> LineChecks:
    return LineChecks.model_validate(
        {"times": list(times), "timezone": tz, "answer_within": within}
    )


def append_system(cell: Cell, a: Action) -> Appended:
    """Sign an action with the log key and append it, as the engine does (`_submit`)."""
    key = cell.ledger.log_key
    assert key is not None
    raw, body = build_statement(
        origin=cell.ledger.origin,
        kind=a.kind,
        subject=a.subject,
        author=Author(SYSTEM_PARTY, SYSTEM_MEMBER, key.key_id_hex),
        visibility=a.visibility,
        body=a.body,
        client_time=rfc3339(cell.clock.now()),
    )
    return cell.ledger.submit(parse_submission(b64e(raw), b64e(key.sign(raw)), body))


def checks(cell: Cell) -> list[Any]:
    with cell.engine.connect() as c:
        return c.execute(select(line_checks).order_by(line_checks.c.opened_idx, "party")).all()


# ---- slots (no database) -------------------------------------------------------------------


def test_slots_in_the_charters_zone() -> None:
    paris = timetable("Asia/Damascus", "09:00", "17:00")  # UTC+3 all year
    day = slots_between(paris, utc(2026, 11, 26), utc(2026, 11, 26, 23, 59))
    assert day == [utc(2026, 11, 26, 6), utc(2026, 11, 26, 14)]
    assert latest_slot(paris, utc(2026, 11, 26, 9)) == utc(2026, 11, 26, 6)
    assert latest_slot(paris, utc(2026, 11, 26, 6)) == utc(2026, 11, 26, 6)  # at the slot
    assert next_slot(paris, utc(2026, 11, 26, 6)) == utc(2026, 11, 26, 14)  # strictly after
    assert next_slot(paris, utc(2026, 11, 26, 15)) == utc(2026, 11, 27, 6)
    assert slot_check_id(utc(2026, 11, 26, 14)) == "s-20261126-1400"


@pytest.mark.parametrize(
    ("day", "want"),
    [
        # Spring forward (02:00 -> 03:00): 02:30 does not exist; it falls at 03:30 EDT.
        (date(2026, 3, 8), [utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 13)]),
        # Fall back (02:00 -> 01:00): 01:30 happens twice; the first one is the slot.
        (
            date(2026, 11, 1),
            [utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 7, 30), utc(2026, 11, 1, 14)],
        ),
        # An ordinary winter day.
        (
            date(2026, 12, 1),
            [utc(2026, 12, 1, 6, 30), utc(2026, 12, 1, 7, 30), utc(2026, 12, 1, 14)],
        ),
    ],
)
def test_one_slot_per_time_across_clock_changes(day: date, want: list[datetime]) -> None:
    ny = timetable("America/New_York", "01:30", "02:30", "09:00")
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    # The local day runs from 04:00 or 05:00 UTC to the next day's.
    got = [s for s in slots_between(ny, start, start + timedelta(days=1, hours=6)) if s in want]
    assert got == want
    # and nowhere else that day: the repeated 01:30 is not a second slot
    around = slots_between(ny, start, start + timedelta(days=1, hours=4))
    assert len([s for s in around if s.date() == day]) == len(want)


# ---- the Schedule --------------------------------------------------------------------------


def test_due_and_next(cell: Cell) -> None:
    sched = LineCheckSchedule(cell)
    with cell.engine.connect() as c:
        # 09:00 UTC: the 06:00 slot's window (10 minutes) closed long ago.
        assert sched.due(c, START) == []
        assert sched.next_at(c, START) == utc(2026, 11, 26, 14)
        (a,) = sched.due(c, utc(2026, 11, 26, 14, 9, 59))
        assert sched.due(c, utc(2026, 11, 26, 14, 10)) == []  # the window has closed
    assert a == Action(
        kinds.SENT,
        "line/s-20261126-1400",
        PARTIES,
        {"check": "s-20261126-1400", "slot": "2026-11-26T14:00:00.000Z", "parties": PARTIES},
    )


def test_a_cell_born_after_a_slot_does_not_send_it(tmp_path: Any, db_url: str) -> None:
    """A cell made at 06:05 UTC (09:05 in Damascus) is not late for the 06:00 check: the
    slot passed before it existed. (Tests on the real clock met this between 06:00 and
    06:10 UTC: an extra entry in the log.)"""
    born = utc(2026, 11, 26, 6, 5)
    c = init_cell(
        paris_charter_text(),
        Settings(data=tmp_path / "born", database_url=db_url, deadline_engine=False),
        clock=FrozenClock(born),
    )
    try:
        sched = LineCheckSchedule(c)
        with c.engine.connect() as conn:
            assert sched.due(conn, born) == []
            assert sched.next_at(conn, born) == utc(2026, 11, 26, 14)
            assert len(sched.due(conn, utc(2026, 11, 26, 14, 1))) == 1
    finally:
        c.close()


def test_the_engine_sends_each_slot_once(cell: Cell) -> None:
    engine = DeadlineEngine(cell, schedules=[LineCheckSchedule(cell)])
    assert engine.run_due() == 0
    assert engine.next_at() == utc(2026, 11, 26, 14)
    clock(cell).advance(timedelta(hours=5, minutes=2))  # 14:02
    assert engine.run_due() == 1
    assert engine.run_due() == 0  # not twice
    rows = checks(cell)
    assert [(r.check_id, r.party, r.state, r.on_demand) for r in rows] == [
        ("s-20261126-1400", p, "open", False) for p in PARTIES
    ]
    assert {r.due for r in rows} == {"2026-11-26T14:12:00.000Z"}  # the entry's time + 10m
    assert {r.slot for r in rows} == {"2026-11-26T14:00:00.000Z"}
    with cell.engine.connect() as c:
        dl = c.execute(select(deadlines).order_by(deadlines.c.key)).all()
    assert [(d.key, d.kind, d.party, d.due) for d in dl] == [
        (f"check:s-20261126-1400:{p}", "line.check", p, "2026-11-26T14:12:00.000Z") for p in PARTIES
    ]
    assert engine.next_at() == utc(2026, 11, 26, 14, 12)  # the deadlines, now
    # A second engine (another process) finds nothing to do; a direct append is refused.
    assert DeadlineEngine(cell, schedules=[LineCheckSchedule(cell)]).run_due() == 0
    with pytest.raises(Conflict, match="sent already"):
        append_system(cell, slot_action(utc(2026, 11, 26, 14), PARTIES))


def test_the_default_engine_runs_the_line_schedule(cell: Cell) -> None:
    clock(cell).advance(timedelta(hours=5))
    assert DeadlineEngine(cell).run_due() == 1
    assert len(checks(cell)) == 3


def test_catch_up_writes_only_the_latest_open_slot(cell: Cell) -> None:
    # The server was down from before 06:00 until 14:05: the 06:00 slot is not sent late,
    # the 14:00 one is, once.
    clock(cell).advance(timedelta(hours=5, minutes=5))
    engine = DeadlineEngine(cell, schedules=[LineCheckSchedule(cell)])
    assert engine.run_due() == 1
    assert {r.check_id for r in checks(cell)} == {"s-20261126-1400"}
    # Down again until the next day 06:30: 06:00's window closed, nothing is written.
    clock(cell).advance(timedelta(hours=16, minutes=25))
    n = engine.run_due()  # the 14:00 check's missed entry and its escalation only
    assert {r.check_id for r in checks(cell)} == {"s-20261126-1400"}
    assert n == 6  # three parties: missed, then the IMMEDIATE step (own head of delegation)


def test_the_projector_refuses_what_the_timetable_did_not_set(cell: Cell, person: Person) -> None:
    clock(cell).advance(timedelta(hours=5, minutes=1))  # 14:01
    late = slot_action(utc(2026, 11, 26, 6), PARTIES)  # its window closed at 06:10
    with pytest.raises(Conflict, match="not due now"):
        append_system(cell, late)
    early = slot_action(utc(2026, 11, 27, 6), PARTIES)
    with pytest.raises(Conflict, match="not due now"):
        append_system(cell, early)
    odd = Action(
        kinds.SENT,
        "line/s-20261126-1401",
        PARTIES,
        {"check": "s-20261126-1401", "slot": "2026-11-26T14:01:00.000Z", "parties": PARTIES},
    )
    with pytest.raises(Invalid, match="not a slot"):
        append_system(cell, odd)
    some = slot_action(utc(2026, 11, 26, 14), PARTIES)
    partial = some._replace(body={**some.body, "parties": ["IL", "SY"]})
    with pytest.raises(Invalid, match="every party"):
        append_system(cell, partial)
    renamed = some._replace(body={**some.body, "check": "s-20261126-1401"})
    with pytest.raises(Invalid):
        append_system(cell, renamed)
    # Members never write system entries (the log's policy), whatever their role.
    sup = person("US", "us-supervisor", "supervisor")
    with pytest.raises(Forbidden):
        post_as(cell, sup.key, sup.author, some.kind, some.subject, PARTIES, some.body)
    assert checks(cell) == []
    append_system(cell, some)
    assert len(checks(cell)) == 3


def test_no_timetable_no_schedule(cell: Cell) -> None:
    sched = LineCheckSchedule(cell)
    object.__setattr__(cell, "_charter", cell.charter.model_copy(update={"line_checks": None}))
    with cell.engine.connect() as c:
        assert sched.due(c, utc(2026, 11, 26, 14, 1)) == []
        assert sched.next_at(c, START) is None
