"""The diplomatic record through the API and the Python client: a round's and meeting's
life, the carry-over of open follow-up items, the .ics read back, who may do what, bad
input refused with nothing written, and the rebuild."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import func, select

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.client import ClientError
from fusioncell.clock import FrozenClock
from fusioncell.diplomacy import kinds
from fusioncell.diplomacy.client import DiplomacyClient
from fusioncell.ledger.tables import log_entries
from fusioncell.projections import PROJECTED, rebuild
from tests.diplomacy.conftest import MakeMember

DELS = {
    "IL": ["head_of_delegation", "liaison_officer"],
    "SY": ["head_of_delegation"],
    "US": ["supervisor"],
}
AGENDA = [("Opening", "en"), ("ترتيبات الأمن", "ar"), ("מנגנון התיאום", "he")]


def refused(status: int, call: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(ClientError) as e:
        call(*args, **kw)
    assert e.value.status == status, e.value.detail
    return e.value.detail


def people(member: MakeMember) -> tuple[DiplomacyClient, DiplomacyClient, DiplomacyClient]:
    us = member("US", "us-supervisor", Role.SUPERVISOR)
    il = member("IL", "il-head", Role.HEAD_OF_DELEGATION)
    sy = member("SY", "sy-head", Role.HEAD_OF_DELEGATION)
    return us, il, sy


def geneva(us: DiplomacyClient, **kw: Any) -> str:
    rid, _ = us.record_round(
        [("Geneva", "en"), ("جنيف", "ar")], "2026-12-01", "2026-12-02", DELS, **kw
    )
    return rid


def plenary(us: DiplomacyClient, rid: str, day: str = "2026-12-01") -> str:
    mid, _ = us.schedule_meeting(
        rid,
        [("Plenary", "en"), ("الجلسة العامة", "ar"), ("מליאה", "he")],
        [("Palais des Nations", "en")],
        f"{day}T10:00",
        f"{day}T12:30",
        "Europe/Zurich",
        DELS,
        AGENDA,
    )
    return mid


def test_the_charter_round_is_on_the_record(member: MakeMember) -> None:
    us, il, _ = people(member)
    [paris] = il.rounds()
    assert paris["id"] == "paris" and paris["source"] == "charter"
    assert paris["next"] == {"state": "not_scheduled", "date": None, "round": None}
    assert paris["start"] is None and paris["parties"] == ["IL", "SY", "US"]
    assert {t["lang"] for t in paris["place"]} == {"ar", "he", "en"}
    # Its meetings wait for its dates, which the supervisor records by a revision.
    refused(
        409,
        us.schedule_meeting,
        "paris",
        [("P", "en")],
        [("Paris", "en")],
        "2026-01-06T10:00",
        "2026-01-06T12:00",
        "Europe/Paris",
        DELS,
        [],
    )
    us.revise_round("paris", [("Paris", "en")], "2026-01-05", "2026-01-06", DELS)
    assert il.round("paris")["round"]["delegations"][0] == {
        "party": "IL",
        "roles": ["head_of_delegation", "liaison_officer"],
    }
    # A round's parties do not change.
    assert "parties do not change" in refused(
        400,
        us.revise_round,
        "paris",
        [("Paris", "en")],
        "2026-01-05",
        "2026-01-06",
        {"IL": ["head_of_delegation"], "US": ["supervisor"]},
    )


def test_a_round_and_its_meeting(cell: Cell, member: MakeMember) -> None:
    us, il, sy = people(member)
    rid = geneva(us, note=[("Second round.", "en")])
    mid = plenary(us, rid)
    il.record_minutes(mid, "Draft minutes.", "en")
    sy.record_minutes(mid, "محضر الجلسة بعد التصحيح.", "ar")  # a correction: a new version
    refused(400, sy.record_minutes, mid, "محضر الجلسة بعد التصحيح.", "ar")
    il.record_outcome(mid, "הוסכם על לוח זמנים.", "he")
    item, _ = us.add_followup(mid, "Send the maps.", "en", "IL", due="2026-12-15")
    il.close_followup(mid, item, "נשלח.", "he")
    refused(409, il.close_followup, mid, item, "again", "en")  # closed once only

    view = sy.meeting(mid)
    m = view["meeting"]
    assert m["tz"] == "Europe/Zurich" and m["start"] == "2026-12-01T10:00"
    assert m["start_utc"] == "2026-12-01T09:00:00.000Z"
    assert [a["lang"] for a in m["agenda"]] == ["en", "ar", "he"]
    assert [(v["version"], v["lang"]) for v in view["minutes"]] == [(1, "en"), (2, "ar")]
    assert view["minutes"][0]["text"] == "Draft minutes."  # never overwritten
    assert view["outcomes"][0]["text"] == "הוסכם על לוח זמנים."
    [f] = view["followups"]
    assert f["state"] == "closed" and f["closed"]["note"] == "נשלח." and f["due"] == "2026-12-15"
    r = il.round(rid)
    assert [x["id"] for x in r["meetings"]] == [mid] and r["open"] == []
    assert r["round"]["note"] == [{"text": "Second round.", "lang": "en"}]

    # The next round: a date, then back to "not yet scheduled", each a signed entry.
    us.set_next_round(rid, "2027-02-01")
    assert il.round(rid)["round"]["next"]["date"] == "2027-02-01"
    refused(400, us.set_next_round, rid, "2027-02-01")  # changes nothing
    refused(400, us.set_next_round, rid, "2026-12-02")  # not after the round
    us.set_next_round(rid, None)
    assert il.round(rid)["round"]["next"]["state"] == "not_scheduled"
    with cell.engine.connect() as c:
        n = c.execute(
            select(func.count())
            .select_from(log_entries)
            .where(log_entries.c.kind == kinds.ROUND_NEXT)
        ).scalar()
    assert n == 2


def test_open_followups_carry_into_the_next_round(cell: Cell, member: MakeMember) -> None:
    us, il, sy = people(member)
    first = geneva(us)
    mid = plenary(us, first)
    done, _ = us.add_followup(mid, "Exchange lists.", "en", "SY")
    left, _ = il.add_followup(mid, "להעביר מפות.", "he", "IL")
    sy.close_followup(mid, done, "تم.", "ar")
    assert [i["id"] for i in il.round(first)["open"]] == [left]

    second, _ = us.record_round([("Vienna", "en")], "2027-01-10", "2027-01-11", DELS, follows=first)
    before = il.round(first)["round"]
    assert before["next"] == {"state": "scheduled", "date": "2027-01-10", "round": second}
    refused(409, us.set_next_round, first, "2027-03-01")  # the next round is recorded
    view = il.round(second)
    [carried] = view["carried"]
    assert carried["id"] == left and carried["carried_from"] == first
    assert carried["meeting"] == mid and carried["state"] == "open"
    [agenda] = view["agenda"]
    assert agenda["source"] == "followup" and agenda["href"] == f"/diplomacy/m/{mid}#item-{left}"
    assert [i["id"] for i in view["open"]] == [left]

    # Closed during the next round, it stays on that round's agenda, as closed; and a
    # third round gets nothing from it.
    assert isinstance(cell.clock, FrozenClock)
    cell.clock.advance(timedelta(days=46))  # 2027-01-11
    il.close_followup(mid, left, "הועברו.", "he")
    assert il.round(second)["carried"][0]["state"] == "closed"
    assert il.round(second)["open"] == []
    third, _ = us.record_round([("Rome", "en")], "2027-02-10", "2027-02-10", DELS, follows=second)
    assert il.round(third)["carried"] == []
    refused(409, us.record_round, [("X", "en")], "2027-03-01", "2027-03-02", DELS, follows=second)


def test_the_ics_reads_back(cell: Cell, member: MakeMember) -> None:
    us, il, _ = people(member)
    rid = geneva(us)
    mid = plenary(us, rid)
    for lang, summary in [
        ("ar", "الجلسة العامة"),
        ("he", "מליאה"),
        ("en", "Plenary"),
        (None, "Plenary"),
    ]:
        raw = il.calendar(mid, lang)
        cal = icalendar.Calendar.from_ical(raw)
        [ev] = cal.walk("VEVENT")
        assert str(ev["uid"]) == f"{mid}@{cell.ledger.origin}"
        assert str(ev["summary"]) == summary
        assert str(ev["location"]) == "Palais des Nations"  # only in English: the original
        start, end = ev.decoded("dtstart"), ev.decoded("dtend")
        assert start == datetime(2026, 12, 1, 10, tzinfo=ZoneInfo("Europe/Zurich"))
        assert end == datetime(2026, 12, 1, 12, 30, tzinfo=ZoneInfo("Europe/Zurich"))
        assert ev["dtstart"].params["TZID"] == "Europe/Zurich"
        assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Zurich"]
        assert "2. ترتيبات الأمن" in str(ev["description"])
        assert cal["version"] == "2.0" and cal["prodid"]
    assert il.calendar(mid) == il.calendar(mid)  # stable: the same file every time
    r = il.http.get(f"/api/v1/diplomacy/meetings/{mid}.ics", headers=il.headers)
    assert r.headers["content-type"].startswith("text/calendar")
    assert r.headers["content-disposition"] == f'attachment; filename="{mid}.ics"'
    r = il.http.get(f"/api/v1/diplomacy/meetings/{mid}.ics?lang=fr", headers=il.headers)
    assert r.status_code == 400


def test_who_may_do_what(member: MakeMember) -> None:
    us, il, sy = people(member)
    il_duty = member("IL", "il-duty", Role.DUTY_OFFICER)
    aud = member("US", "us-aud", Role.AUDITOR)
    # Only the supervising party's supervisor or head of delegation organises.
    refused(403, il.record_round, [("Amman", "en")], "2026-12-01", "2026-12-02", DELS)
    rid = geneva(us)
    refused(
        403,
        il.schedule_meeting,
        rid,
        [("T", "en")],
        [("P", "en")],
        "2026-12-01T10:00",
        "2026-12-01T11:00",
        "UTC",
        DELS,
        [],
    )
    refused(403, sy.set_next_round, rid, "2027-01-01")
    mid = plenary(us, rid)
    refused(403, il_duty.record_minutes, mid, "not my role", "en")
    item, _ = il.add_followup(mid, "Prepare maps.", "en", "IL")
    refused(403, sy.close_followup, mid, item, "not ours", "en")  # IL's item
    refused(403, aud.record_minutes, mid, "auditors read", "en")

    # A meeting of IL and the US alone: Syria gets the same 404 as for no meeting.
    private, _ = us.schedule_meeting(
        rid,
        [("Bilateral", "en")],
        [("Room 2", "en")],
        "2026-12-02T09:00",
        "2026-12-02T10:00",
        "Europe/Zurich",
        {"IL": ["head_of_delegation"], "US": ["supervisor"]},
        [],
    )
    missing = refused(404, sy.meeting, "nosuchmeeting")
    assert refused(404, sy.meeting, private) == missing
    refused(404, sy.calendar, private)
    assert [m["id"] for m in sy.round(rid)["meetings"]] == [mid]
    assert [m["id"] for m in il.round(rid)["meetings"]] == [mid, private]
    sy._parties[kinds.meeting_subject(private)] = ["IL", "SY", "US"]
    refused(404, sy.record_minutes, private, "let us in", "en")
    # A round without Syria is hidden from it.
    hidden, _ = us.record_round(
        [("Washington", "en")],
        "2027-05-01",
        "2027-05-01",
        {"IL": ["head_of_delegation"], "US": ["supervisor"]},
    )
    assert hidden not in [r["id"] for r in sy.rounds()]
    assert refused(404, sy.round, hidden) == refused(404, sy.round, "nosuchround")


def raw(c: DiplomacyClient, kind: str, subject: str, body: dict[str, Any], vis: list[str]) -> str:
    return refused(400, c.post, kind, subject, vis, body)


ROUND: dict[str, Any] = {
    "round": "r-bad",
    "place": [{"text": "Geneva", "lang": "en"}],
    "start": "2026-12-01",
    "end": "2026-12-02",
    "delegations": [
        {"party": "IL", "roles": ["head_of_delegation"]},
        {"party": "SY", "roles": ["head_of_delegation"]},
    ],
}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"end": "2026-11-30"}, "before it starts"),
        ({"start": "2026-02-30"}, "date written YYYY-MM-DD"),
        ({"start": "01/12/2026"}, "date written YYYY-MM-DD"),
        ({"start": 20261201}, "date written YYYY-MM-DD"),
        (
            {
                "delegations": [
                    {"party": "IL", "roles": ["head_of_delegation"]},
                    {"party": "ZZ", "roles": ["head_of_delegation"]},
                ]
            },
            "unknown party",
        ),
        (
            {
                "delegations": [
                    {"party": "IL", "roles": ["chef"]},
                    {"party": "SY", "roles": ["head_of_delegation"]},
                ]
            },
            "unknown role",
        ),
        ({"delegations": "IL,SY"}, "delegations is a list"),
        ({"place": [{"text": "   ", "lang": "en"}]}, "place is empty"),
        ({"place": [{"text": "Gen\u202eeva", "lang": "en"}]}, "bidi control"),
        ({"place": [{"text": "x" * 201, "lang": "en"}]}, "longer than"),
        ({"place": "Geneva"}, "place is a list"),
        ({"place": [{"text": "A", "lang": "en"}, {"text": "B", "lang": "en"}]}, "two texts"),
        ({"round": "Bad_Id"}, "round id"),
        ({"extra": 1}, "unknown fields"),
        ({"follows": "nosuchround"}, "no such round"),
    ],
)
def test_bad_rounds_are_refused(
    member: MakeMember, cell: Cell, change: dict[str, Any], says: str
) -> None:
    us = member("US", "us-supervisor", Role.SUPERVISOR)
    body = {**ROUND, **change}
    with cell.engine.connect() as c:
        before = c.execute(select(func.count()).select_from(log_entries)).scalar()
    status = 404 if says == "no such round" else 400
    detail = refused(
        status,
        us.post,
        kinds.ROUND_RECORDED,
        kinds.round_subject(str(body["round"])),
        ["IL", "SY", "US"],
        body,
    )
    assert says in detail
    with cell.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(log_entries)).scalar() == before


def test_bad_meetings_and_items(member: MakeMember) -> None:
    us, il, _ = people(member)
    rid = geneva(us)
    good = {
        "round": rid,
        "meeting": "meeting-bad1",
        "title": [{"text": "T", "lang": "en"}],
        "place": [{"text": "P", "lang": "en"}],
        "start": "2026-12-01T10:00",
        "end": "2026-12-01T11:00",
        "tz": "Europe/Zurich",
        "delegations": [
            {"party": "IL", "roles": ["head_of_delegation"]},
            {"party": "SY", "roles": ["head_of_delegation"]},
        ],
        "agenda": [],
    }
    subj = kinds.meeting_subject("meeting-bad1")
    vis = ["IL", "SY", "US"]
    for change, says in [
        ({"end": "2026-12-01T09:00"}, "before it starts"),
        ({"start": "2026-12-03T10:00", "end": "2026-12-03T11:00"}, "within its round's dates"),
        ({"start": "2026-12-01 10:00"}, "local time"),
        ({"start": "2026-12-01T25:00"}, "local time"),
        ({"tz": "Mars/Olympus"}, "IANA time zone"),
        ({"tz": 3}, "IANA time zone"),
        ({"agenda": [{"text": "a\u2067b", "lang": "en"}]}, "bidi control"),
        ({"agenda": [{"text": "x", "lang": "fr"}]}, "language must be one of"),
        ({"agenda": "item"}, "agenda is a list"),
        ({"title": [{"text": "", "lang": "en"}]}, "title is empty"),
    ]:
        assert says in raw(us, kinds.MEETING, subj, {**good, **change}, vis), change
    # A time the clocks skip (summer time begins in Zurich at 02:00 on 28 March 2027).
    rid2, _ = us.record_round([("Bern", "en")], "2027-03-28", "2027-03-28", DELS)
    body = {**good, "round": rid2, "start": "2027-03-28T02:30", "end": "2027-03-28T04:00"}
    assert "does not exist" in raw(us, kinds.MEETING, subj, body, vis)
    assert "visibility" in raw(us, kinds.MEETING, subj, good, ["IL", "US"])
    mid = plenary(us, rid)
    msubj = kinds.meeting_subject(mid)
    for body, says in [
        (
            {"meeting": mid, "item": "f-12345678", "text": "x", "lang": "en", "party": "ZZ"},
            "unknown party",
        ),
        (
            {
                "meeting": mid,
                "item": "f-12345678",
                "text": "x",
                "lang": "en",
                "party": "IL",
                "due": "next week",
            },
            "date written",
        ),
        (
            {"meeting": mid, "item": "f-12345678", "text": "x" * 9000, "lang": "en", "party": "IL"},
            "longer than",
        ),
        (
            {"meeting": mid, "item": "f-12345678", "text": 5, "lang": "en", "party": "IL"},
            "must be a string",
        ),
    ]:
        assert says in raw(il, kinds.FOLLOWUP, msubj, body, vis)
    refused(404, il.close_followup, mid, "f-nosuchitem", "x", "en")


def test_the_api_refuses_bad_reads(member: MakeMember, http: Any) -> None:
    _, il, _ = people(member)
    for path, status in [
        ("/rounds/BAD!", 400),
        ("/rounds/nosuchround", 404),
        ("/meetings/BAD!", 400),
        ("/meetings/nosuchmeeting", 404),
        ("/meetings/nosuchmeeting.ics", 404),
    ]:
        r = http.get("/api/v1/diplomacy" + path, headers=il.headers)
        assert r.status_code == status, (path, r.text)
        assert r.json()["detail"]
    r = http.get("/api/v1/diplomacy/rounds", headers={"accept": "application/json"})
    assert r.status_code == 401


def _snapshot(cell: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with cell.engine.connect() as c:
        for t in PROJECTED:
            if t.name.startswith("diplomacy_"):
                rows = c.execute(select(t)).mappings().all()
                out[t.name] = sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in rows)
    return out


def test_rebuild_gives_the_same_tables(cell: Cell, member: MakeMember) -> None:
    us, il, sy = people(member)
    us.revise_round("paris", [("Paris", "en")], "2026-01-05", "2026-01-06", DELS)
    rid = geneva(us)
    mid = plenary(us, rid)
    il.record_minutes(mid, "v1", "en")
    il.record_minutes(mid, "v2", "en")
    sy.record_outcome(mid, "نتيجة", "ar")
    item, _ = il.add_followup(mid, "x", "en", "IL")
    il.add_followup(mid, "y", "en", "SY")
    il.close_followup(mid, item, "done", "en")
    us.record_round([("Vienna", "en")], "2027-01-10", "2027-01-11", DELS, follows=rid)
    us.set_next_round("paris", "2026-03-01")
    live = _snapshot(cell)
    assert live["diplomacy_rounds"] and live["diplomacy_followups"] and live["diplomacy_minutes"]
    rebuild(cell)
    assert _snapshot(cell) == live
