"""De-escalation end to end through the API: incidents, notifications (late marks and
conflicts), clarifications and their deadline, zones, bad input, and rebuild."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from fusioncell.cell import Cell
from fusioncell.client import ClientError
from fusioncell.clock import FrozenClock
from fusioncell.deadlines.engine import DeadlineEngine
from fusioncell.deadlines.tables import deadlines
from fusioncell.deesc import kinds, zones
from fusioncell.deesc.projector import deadline_key
from fusioncell.errors import Invalid
from fusioncell.ledger.tables import log_entries
from fusioncell.projections import PROJECTED, rebuild
from tests.deesc.conftest import MakeMember, at

PARTIES = ["IL", "SY", "US"]
BUFFER = {  # an agreed zone east of the line
    "type": "Polygon",
    "coordinates": [
        [[35.80, 33.00], [35.95, 33.00], [35.95, 33.30], [35.80, 33.30], [35.80, 33.00]]
    ],
}
SKETCH = {  # an illustrative zone far south
    "type": "Polygon",
    "coordinates": [[[36.00, 32.50], [36.10, 32.50], [36.10, 32.60], [36.00, 32.50]]],
}
INSIDE = {"type": "Point", "coordinates": [35.85, 33.10]}
OUTSIDE = {"type": "Point", "coordinates": [35.60, 33.10]}
IN_SKETCH = {"type": "Point", "coordinates": [36.05, 32.52]}


def zone_doc(zone: str, geometry: dict[str, Any], name: str = "Buffer") -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"id": zone, "name": name}, "geometry": geometry}
        ],
    }


def report(c: Any, **over: Any) -> int:
    kw: dict[str, Any] = {
        "time": at(-2),
        "place": INSIDE,
        "category": "shelling",
        "description": "قصف مدفعي على أطراف القرية",
        "lang": "ar",
        "time_precision": "hour",
        "place_precision_m": 500,
        "actors": ["وحدة مدفعية"],
        "casualties": {"killed": 0, "injured": 2},
        "sources": ["مراقب محلي"],
    }
    kw.update(over)
    return int(c.report_incident(**kw).index)


def notify(c: Any, place: dict[str, Any], start: float, end: float, **over: Any) -> int:
    kw: dict[str, Any] = {
        "activity_type": "patrol",
        "start": at(start),
        "end": at(end),
        "place": place,
        "description": "Routine patrol",
        "lang": "en",
    }
    kw.update(over)
    return int(c.notify_activity(**kw).index)


def refused(status: int, fn: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(ClientError) as e:
        fn(*args, **kw)
    assert e.value.status == status, e.value
    return str(e.value)


def test_incident_in_arabic_is_listed_for_every_party(cell: Cell, member: MakeMember) -> None:
    sy, il, us = member("SY", "sy-liaison"), member("IL", "il-liaison"), member("US", "us-sup")
    idx = report(sy)
    for c in (sy, il, us):
        [got] = c.incidents()
        assert got["index"] == idx and got["lang"] == "ar" and got["party"] == "SY"
        assert got["time"] == at(-2) and got["time_precision"] == "hour"
        assert got["place"] == {"type": "Point", "coordinates": [35.85, 33.1]}
        assert got["casualties"] == {"killed": 0, "injured": 2}
        assert got["actors"] == ["وحدة مدفعية"] and got["sources"] == ["مراقب محلي"]
    assert il.item(idx)["category"] == "shelling"
    assert il.incidents(category="drone") == [] and il.incidents(party="IL") == []
    assert il.incidents(since=at(-3), until=at(-1))[0]["index"] == idx
    assert il.incidents(since=at(-1)) == []
    refused(404, il.item, idx + 100)


@pytest.mark.parametrize(
    ("over", "says"),
    [
        ({"place": {"type": "Point", "coordinates": [200.0, 33.0]}}, "longitude 200.0 is out"),
        ({"place": {"type": "Point", "coordinates": [35.0, -91]}}, "latitude -91 is out"),
        (
            {
                "place": {  # a bow tie
                    "type": "Polygon",
                    "coordinates": [[[35, 33], [36, 34], [36, 33], [35, 34], [35, 33]]],
                }
            },
            "Self-intersection",
        ),
        ({"place": {"type": "Point", "coordinates": ["35", 33]}}, "must be numbers"),
        ({"place": {"type": "Polygon", "coordinates": [35, 33]}}, "not nested"),
        ({"category": "picnic"}, "category must be one of"),
        ({"time_precision": "week"}, "time_precision must be one of"),
        ({"time": "yesterday"}, "RFC 3339"),
        ({"time": at(1)}, "in the future"),
        ({"description": "abc\u202edef"}, "bidi control"),
        ({"lang": "fr"}, "language must be one of"),
        ({"place_precision_m": 0}, "place_precision_m"),
        ({"casualties": {"killed": -1}}, "casualties"),
    ],
)
def test_bad_incidents_are_refused_and_nothing_written(
    cell: Cell, member: MakeMember, over: dict[str, Any], says: str
) -> None:
    sy = member("SY", "sy-liaison")
    size = cell.ledger.size()
    assert says in refused(400, report, sy, **over)
    assert cell.ledger.size() == size and sy.incidents() == []


def test_time_window_that_ends_before_it_starts(cell: Cell, member: MakeMember) -> None:
    il = member("IL", "il-liaison")
    assert "ends before it starts" in refused(400, notify, il, OUTSIDE, 80, 79)
    assert "ends before it starts" in refused(400, il.activities, since=at(2), until=at(1))
    assert "over" in refused(400, notify, il, OUTSIDE, -5, -1)


def test_late_notice_is_accepted_but_marked_late(cell: Cell, member: MakeMember) -> None:
    il = member("IL", "il-liaison")
    early = notify(il, OUTSIDE, 72, 75)  # exactly the charter's 72 h notice
    late = notify(il, OUTSIDE, 71, 75)
    got = {a["index"]: a for a in il.activities()}
    assert got[early]["late"] is False and got[late]["late"] is True


def test_conflicts_with_agreed_zone_and_other_party(cell: Cell, member: MakeMember) -> None:
    zones.load(cell, zone_doc("buffer", BUFFER), kinds.AGREED)
    zones.load(cell, zone_doc("sketch", SKETCH, "Sketch"), kinds.ILLUSTRATIVE)
    il, sy, us = member("IL", "il-liaison"), member("SY", "sy-liaison"), member("US", "us-sup")
    assert [(z["zone"], z["status"]) for z in us.zones()] == [
        ("buffer", "agreed"),
        ("sketch", "illustrative"),
    ]
    in_zone = notify(il, INSIDE, 80, 82)
    in_sketch = notify(il, IN_SKETCH, 80, 82)  # an illustrative layer forbids nothing
    near = {"type": "Point", "coordinates": [35.601, 33.101]}  # ~150 m from OUTSIDE
    mine = notify(il, OUTSIDE, 80, 82)
    own_again = notify(il, near, 80, 82)  # a party's own activities never conflict
    theirs = notify(sy, near, 81, 83, activity_type="exercise")
    later = notify(sy, near, 82, 84)  # starts as IL's ends: no overlap
    got = {a["index"]: a["conflicts"] for a in us.activities()}
    assert got[in_zone] == [{"with": "zone", "ref": "buffer"}]
    assert got[in_sketch] == []
    assert got[theirs] == [
        {"with": "activity", "ref": str(mine)},
        {"with": "activity", "ref": str(own_again)},
    ]
    assert got[mine] == [{"with": "activity", "ref": str(theirs)}]  # shown both ways
    assert got[later] == []
    assert sy.item(mine)["conflicts"] == [{"with": "activity", "ref": str(theirs)}]
    assert [a["index"] for a in us.activities(category="exercise")] == [theirs]


def deadline(cell: Cell, key: str) -> Any:
    with cell.engine.connect() as c:
        return c.execute(select(deadlines).where(deadlines.c.key == key)).first()


def test_clarification_in_hebrew_answered(cell: Cell, member: MakeMember) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    inc = report(sy)
    req = il.request_clarification(inc, "באיזו שעה בדיוק התרחשה ההפגזה?", "he").index
    d = deadline(cell, deadline_key(req))
    assert d.kind == "deesc.clarification" and d.party == "SY" and d.state == "open"
    assert d.due == at(48) and json.loads(d.refs)["urgency"] == "IMMEDIATE"
    [c] = sy.clarifications(state="open")
    assert c["question"].startswith("באיזו") and c["lang"] == "he" and c["owing"] == "SY"
    assert "owed by party SY" in refused(403, il.answer_clarification, req, "x", "en")
    assert "another party" in refused(400, sy.request_clarification, inc, "?", "ar")
    refused(404, il.request_clarification, inc + 50, "?", "he")
    ans = sy.answer_clarification(req, "حوالي الساعة السابعة صباحاً", "ar").index
    assert deadline(cell, deadline_key(req)).state == "met"
    [c] = il.item(inc)["clarifications"]
    assert c["state"] == "answered" and c["answer_lang"] == "ar" and c["answered_index"] == ans
    assert "answered already" in refused(409, sy.answer_clarification, req, "again", "ar")


def test_unanswered_clarification_escalates(
    cell: Cell, member: MakeMember, clock: FrozenClock
) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    act = notify(il, OUTSIDE, 80, 82)
    req = sy.request_clarification(act, "ما هو عدد الآليات؟", "ar").index
    engine = DeadlineEngine(cell)
    clock.advance(timedelta(hours=47))
    assert engine.run_due() == 0 and sy.clarifications()[0]["state"] == "open"
    clock.advance(timedelta(hours=1))
    assert engine.run_due() >= 1
    assert deadline(cell, deadline_key(req)).step >= 1
    [c] = il.clarifications(state="overdue")
    assert c["about_kind"] == "activity" and c["owing"] == "IL"
    with cell.engine.connect() as conn:
        kinds_written = conn.execute(select(log_entries.c.kind)).scalars().all()
    assert "system.deadline.missed" in kinds_written


def test_zones_proposed_by_a_party_or_loaded_by_the_operator(
    cell: Cell, member: MakeMember
) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    sy.propose_zone(
        "sy-line",
        "خط مقترح",
        "ar",
        {"type": "LineString", "coordinates": [[35.7, 33.0], [35.7, 33.4]]},
    )
    [z] = il.zones()
    assert (
        z["status"] == "proposed" and z["party"] == "SY" and z["geometry"]["type"] == "LineString"
    )
    assert "not your proposal" in refused(
        409, il.propose_zone, "sy-line", "mine", "en", {"type": "Point", "coordinates": [35, 33]}
    )
    # A party cannot load an agreed layer: that is the operator's.
    body = {"zone": "x", "name": "x", "lang": "en", "status": "agreed", "geometry": INSIDE}
    refused(403, il.post, kinds.ZONE, kinds.zone_subject("x"), PARTIES, body)
    zones.load(cell, zone_doc("sy-line", BUFFER, "Agreed now"), kinds.AGREED)
    assert il.zones()[0]["status"] == "agreed"
    bad = zone_doc(
        "bow",
        {"type": "Polygon", "coordinates": [[[35, 33], [36, 34], [36, 33], [35, 34], [35, 33]]]},
    )
    size = cell.ledger.size()
    with pytest.raises(Invalid, match="feature 1: geometry is not a valid shape"):
        zones.load(cell, bad, kinds.AGREED)
    with pytest.raises(Invalid, match="names the party"):
        zones.load(cell, zone_doc("p", BUFFER), kinds.PROPOSED)
    assert cell.ledger.size() == size


def test_wrong_subject_or_visibility_refused(cell: Cell, member: MakeMember) -> None:
    sy = member("SY", "sy-liaison")
    body = {"about": 1, "question": "?", "lang": "ar"}
    assert "visibility must be" in refused(
        400, sy.post, kinds.REQUESTED, "deesc/clarifications", ["SY", "US"], body
    )
    assert "subject must be" in refused(400, sy.post, kinds.REQUESTED, "deesc/other", PARTIES, body)


def snapshot(cell: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with cell.engine.connect() as c:
        for t in PROJECTED:
            if t.name.startswith(("deesc_", "deadlines")):
                rows = c.execute(select(t)).mappings().all()
                out[t.name] = sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in rows)
    return out


def test_rebuild_gives_the_same_tables(cell: Cell, member: MakeMember) -> None:
    zones.load(cell, zone_doc("buffer", BUFFER), kinds.AGREED)
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    inc = report(sy)
    notify(il, INSIDE, 10, 12)
    notify(sy, INSIDE, 11, 13)
    req = il.request_clarification(inc, "מתי?", "he").index
    sy.answer_clarification(req, "صباحاً", "ar")
    il.request_clarification(inc, "כמה?", "he")
    live = snapshot(cell)
    assert live["deesc_conflicts"] and live["deesc_clarifications"]
    rebuild(cell)
    assert snapshot(cell) == live
