"""Line checks: sent on demand by the supervisor, answered by each party's duty holder (and
by nobody else), late and missed ones recorded, the engine's missed entries marking them,
bad input refused with a clear 4xx and nothing written, and rebuild equal to live."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.client import ClientError
from fusioncell.deadlines import MISSED, NOTIFIED, deadlines
from fusioncell.deadlines.engine import DeadlineEngine
from fusioncell.ledger.canonical import loads_canonical
from fusioncell.ledger.tables import log_bodies, log_entries
from fusioncell.line import kinds
from fusioncell.line.client import LineClient
from fusioncell.line.schedule import LineCheckSchedule
from fusioncell.projections import rebuild
from tests.line.conftest import PARTIES, Person, clock, publish_roster
from tests.test_rebuild import snapshot


def engine_entries(cell: Cell, kind: str) -> list[dict[str, Any]]:
    """The engine's entries of `kind`: their visibility and body."""
    with cell.engine.connect() as c:
        found = c.execute(
            select(log_entries.c.visibility, log_bodies.c.body)
            .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
            .where(log_entries.c.kind == kind)
            .order_by(log_entries.c.idx)
        ).all()
    return [{"visibility": r.visibility, **loads_canonical(bytes(r.body))} for r in found]


def deadline(cell: Cell, key: str) -> Any:
    with cell.engine.connect() as c:
        return c.execute(select(deadlines).where(deadlines.c.key == key)).one()


def refused(status: int, match: str = "") -> Any:
    return pytest.raises(ClientError, match=f"^{status}: .*{match}")


def rows(client: LineClient, check: str) -> dict[str, dict[str, Any]]:
    return {r["party"]: r for r in client.check(check)["parties"]}


@pytest.fixture
def sup(person: Person) -> LineClient:
    return person("US", "us-supervisor", Role.SUPERVISOR)


def test_answered_on_time_by_the_duty_holder(
    cell: Cell, sup: LineClient, on_duty: dict[str, LineClient]
) -> None:
    check, sent = sup.request_check(["IL", "SY"])
    got = rows(sup, check)
    assert set(got) == {"IL", "SY"}
    assert got["IL"]["state"] == "open" and got["IL"]["on_demand"]
    assert got["IL"]["requested_by"] == "us-supervisor"
    assert got["IL"]["due"] == "2026-11-26T09:10:00.000Z"  # the charter's 10 minutes
    clock(cell).advance(timedelta(minutes=9, seconds=59))
    answered = on_duty["IL"].answer(check)
    got = rows(sup, check)
    assert got["IL"]["state"] == "answered"
    assert got["IL"]["answered"] == {
        "index": answered.index,
        "member": "il-duty",
        "time": "2026-11-26T09:09:59.000Z",
    }
    assert got["IL"]["late_by"] is None
    assert deadline(cell, kinds.check_key(check, "IL")).state == "met"
    assert deadline(cell, kinds.check_key(check, "SY")).state == "open"
    assert sent.index < answered.index
    # Once only, naming who answered and when.
    with refused(409, "IL answered this line check already \\(il-duty"):
        on_duty["IL"].answer(check, "IL")


def test_only_the_duty_holder_answers(
    cell: Cell, person: Person, sup: LineClient, on_duty: dict[str, LineClient]
) -> None:
    check, _ = sup.request_check(["IL", "SY"])
    liaison = person("IL", "il-liaison", Role.LIAISON_OFFICER)
    head = person("IL", "il-head", Role.HEAD_OF_DELEGATION)
    for who in (liaison, head):
        with refused(403, "only the duty holder answers a line check: il-duty is on duty for IL"):
            who.answer(check)
    with refused(403, "answers a line check for itself"):
        on_duty["SY"].answer(check, "IL")
    with refused(403, "not sent to US"):
        on_duty["US"].answer(check)
    with refused(404, "no such line check"):
        on_duty["IL"].answer("0123456789abcdef")
    assert rows(sup, check)["IL"]["state"] == "open"
    # The duty changes hands: from then on the new holder answers, the old one may not.
    now = cell.clock.now()
    publish_roster(
        on_duty["il-admin"],
        [
            ("il-duty", now, now + timedelta(minutes=5)),
            ("il-liaison", now + timedelta(minutes=5), now + timedelta(hours=8)),
        ],
    )
    clock(cell).advance(timedelta(minutes=5))
    with refused(403, "il-liaison is on duty for IL"):
        on_duty["IL"].answer(check)
    liaison.answer(check)
    assert rows(sup, check)["IL"]["answered"]["member"] == "il-liaison"


def test_nobody_on_duty(cell: Cell, person: Person, sup: LineClient) -> None:
    check, _ = sup.request_check(["SY"])
    sy = person("SY", "sy-duty", Role.DUTY_OFFICER)
    with refused(403, "nobody holds SY's duty now"):
        sy.answer(check)


def test_late_answer_without_the_engine(
    cell: Cell, sup: LineClient, on_duty: dict[str, LineClient]
) -> None:
    check, _ = sup.request_check(["SY"])
    clock(cell).advance(timedelta(minutes=11))
    on_duty["SY"].answer(check)
    got = rows(sup, check)["SY"]
    assert got["state"] == "late" and got["late_by"] == 60
    # Answered before the engine acted: the deadline is met and nothing escalates.
    assert deadline(cell, kinds.check_key(check, "SY")).state == "met"
    assert DeadlineEngine(cell, schedules=[]).run_due() == 0


def test_missed_then_late_through_the_engine(
    cell: Cell, sup: LineClient, on_duty: dict[str, LineClient]
) -> None:
    engine = DeadlineEngine(cell, schedules=[])
    check, _ = sup.request_check(["IL", "SY"])
    on_duty["IL"].answer(check)
    clock(cell).advance(timedelta(minutes=10))
    assert engine.run_due() == 2  # SY: missed, then the IMMEDIATE step, at once
    got = rows(sup, check)
    assert got["IL"]["state"] == "answered"
    assert got["SY"]["state"] == "missed"
    (entry,) = engine_entries(cell, MISSED)
    assert entry["items"] == [
        {
            "key": f"check:{check}:SY",
            "kind": "line.check",
            "subject": f"line/{check}",
            "party": "SY",
            "due": "2026-11-26T09:10:00.000Z",
            "step": 0,
            "refs": {"check": check, "urgency": "IMMEDIATE"},
        }
    ]
    assert entry["visibility"] == ",IL,SY,US,"
    (notified,) = engine_entries(cell, NOTIFIED)
    assert notified["items"][0]["targets"] == [{"party": "SY", "role": "head_of_delegation"}]
    assert got["SY"]["missed_index"] is not None
    # Answered later: recorded late; the missed entry stays in the log and on the row.
    clock(cell).advance(timedelta(minutes=20))
    on_duty["SY"].answer(check)
    got = rows(sup, check)["SY"]
    assert got["state"] == "late" and got["late_by"] == 20 * 60
    assert got["missed_index"] is not None
    assert deadline(cell, kinds.check_key(check, "SY")).state == "done"


def test_who_may_send_a_check(
    cell: Cell, person: Person, sup: LineClient, on_duty: dict[str, LineClient]
) -> None:
    sup.request_check()  # every party
    on_duty["US"].request_check(["IL"])  # the supervisor's duty officer
    for party, member, role in [
        ("US", "us-liaison", Role.LIAISON_OFFICER),
        ("US", "us-head", Role.HEAD_OF_DELEGATION),
        ("IL", "il-head", Role.HEAD_OF_DELEGATION),
        ("SY", "sy-super", Role.SUPERVISOR),  # a supervisor role in a party that is not one
    ]:
        with refused(403, "sent by the supervisor or its duty officer"):
            person(party, member, role).request_check(["IL"])
    with refused(403, "sent by the supervisor or its duty officer"):
        on_duty["SY"].request_check(["IL"])  # a duty officer, but not the supervisor's


def test_bad_input_is_refused_and_nothing_written(
    cell: Cell, sup: LineClient, on_duty: dict[str, LineClient]
) -> None:
    size = cell.ledger.size()
    cid = "0123456789abcdef"
    subject = kinds.check_subject(cid)
    cases: list[tuple[str, str, list[str], dict[str, Any], str]] = [
        (kinds.REQUESTED, subject, PARTIES, {"check": cid}, "body lacks parties"),
        (kinds.REQUESTED, subject, PARTIES, {"check": cid, "parties": ["SY", "IL"]}, "sorted"),
        (kinds.REQUESTED, subject, PARTIES, {"check": cid, "parties": []}, "at least one"),
        (kinds.REQUESTED, subject, PARTIES, {"check": cid, "parties": ["XX"]}, "unknown party XX"),
        (kinds.REQUESTED, subject, PARTIES, {"check": cid, "parties": "IL"}, "sorted list"),
        (kinds.REQUESTED, subject, PARTIES, {"check": "Bad id!", "parties": ["IL"]}, "check id"),
        (kinds.REQUESTED, subject, PARTIES, {"check": 7, "parties": ["IL"]}, "check id"),
        (
            kinds.REQUESTED,
            "line/s-20261126-1400",
            PARTIES,
            {"check": "s-20261126-1400", "parties": ["IL"]},
            "kept for the charter's timetable",
        ),
        (
            kinds.REQUESTED,
            subject,
            PARTIES,
            {"check": cid, "parties": ["IL"], "extra": 1},
            "unknown fields extra",
        ),
        (
            kinds.REQUESTED,
            "line/other-check-id",
            PARTIES,
            {"check": cid, "parties": ["IL"]},
            "subject",
        ),
        (kinds.REQUESTED, subject, ["SY", "US"], {"check": cid, "parties": ["IL"]}, "every party"),
        (kinds.ANSWERED, subject, PARTIES, {"check": cid, "party": "ZZ"}, "unknown party"),
        (kinds.ANSWERED, subject, PARTIES, {}, "body lacks check"),
        ("line.check.unknown", subject, PARTIES, {"check": cid}, "unknown line entry kind"),
    ]
    for kind, subj, vis, body, why in cases:
        with refused(400, why):
            sup.post(kind, subj, vis, body)
    assert cell.ledger.size() == size


def test_rebuild_equals_live(
    cell: Cell, person: Person, sup: LineClient, on_duty: dict[str, LineClient]
) -> None:
    engine = DeadlineEngine(cell, schedules=[LineCheckSchedule(cell)])
    a, _ = sup.request_check(["IL", "SY"])
    on_duty["IL"].answer(a)
    clock(cell).advance(timedelta(minutes=15))
    engine.run_due()
    on_duty["SY"].answer(a)  # late, after the missed entry
    b, _ = sup.request_check()
    clock(cell).advance(timedelta(minutes=12))
    on_duty["US"].answer(b)  # late, before the engine
    engine.run_due()  # IL and SY missed b
    clock(cell).advance(timedelta(hours=4, minutes=36))  # 14:03: the timetable's check
    assert engine.run_due() == 1
    on_duty["SY"].answer("s-20261126-1400")
    head = person("SY", "sy-head", Role.HEAD_OF_DELEGATION)
    head.suspend("تعليق مؤقت للخط", "ar")
    sup.resume("Resumed after consultations", "en")
    live = snapshot(cell)
    assert len(live["line_checks"]) == 8 and len(live["line_status"]) == 2
    assert {dict(r)["state"] for r in live["line_checks"]} == {"answered", "late", "missed", "open"}
    rebuild(cell)
    assert snapshot(cell) == live
