"""Duty rosters through signed entries and /api/v1/duty, on SQLite and PostgreSQL: every bad
roster refused clearly with nothing written, who holds the duty at the shifts' edges on a
frozen clock, swaps and taking the duty with the party admin's consent, hand-over notes,
and rebuild == live."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.client import ClientError
from fusioncell.clock import FrozenClock
from fusioncell.db import reading
from fusioncell.duty import kinds
from fusioncell.duty.client import DutyClient
from fusioncell.duty.queries import next_on_duty, on_duty
from fusioncell.identity.accounts import do_disable_member
from fusioncell.projections import rebuild
from tests.duty.conftest import T0, MakeMember, at
from tests.test_rebuild import snapshot

ALL = ["IL", "SY", "US"]


def refused(status: int, fn, *args, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        fn(*args, **kw)
    assert exc.value.status == status, exc.value.detail
    return exc.value.detail


def shift(member: str, start: float, end: float) -> dict[str, str]:
    return {"member": member, "start": at(start), "end": at(end)}


def holder(cell: Cell, party: str, hours: float) -> str | None:
    with reading(cell.engine) as conn:
        return on_duty(conn, party, T0 + timedelta(hours=hours))


def following(cell: Cell, party: str, hours: float) -> tuple[str, str] | None:
    with reading(cell.engine) as conn:
        got = next_on_duty(conn, party, T0 + timedelta(hours=hours))
    return None if got is None else (got[0], (got[1] - T0).total_seconds() / 3600)


@pytest.fixture
def il(member: MakeMember) -> dict[str, DutyClient]:
    """IL's admin, two duty officers, a liaison officer and an auditor."""
    return {
        "admin": member("IL", "il-admin", Role.PARTY_ADMIN),
        "d1": member("IL", "il-duty"),
        "d2": member("IL", "il-duty-2"),
        "liaison": member("IL", "il-liaison", Role.LIAISON_OFFICER),
        "auditor": member("IL", "il-auditor", Role.AUDITOR),
    }


# ---- bad rosters ---------------------------------------------------------------------------


def test_bad_rosters_are_refused_clearly_and_nothing_is_written(
    cell: Cell, il: dict[str, DutyClient], member: MakeMember
) -> None:
    admin = il["admin"]
    sy = member("SY", "sy-duty")
    size = cell.ledger.size()

    def bad(status: int, shifts: Any, start: Any = None, end: Any = None, **extra: Any) -> str:
        body = {"from": at(0) if start is None else start, "to": at(24) if end is None else end}
        body["shifts"] = shifts
        body.update(extra)
        detail = refused(status, admin._write, kinds.ROSTER, body)
        assert cell.ledger.size() == size, detail  # nothing half-written
        return detail

    a, b = "il-duty", "il-duty-2"
    assert "overlap" in bad(400, [shift(a, 0, 8), shift(b, 7, 16)])
    assert "overlap" in bad(400, [shift(b, 8, 16), shift(a, 0, 24)])  # one inside another
    assert "empty" in bad(400, [shift(a, 0, 8), shift(b, 8, 8)])
    assert "empty or ends before it starts" in bad(400, [shift(a, 8, 4)])
    assert "outside" in bad(400, [shift(a, 20, 26)])
    assert "at least one shift" in bad(400, [])
    assert "a list" in bad(400, {"member": a})
    assert "at most 500" in bad(
        400, [shift(a, i * 0.1, i * 0.1 + 0.05) for i in range(501)], end=at(60)
    )
    assert "is {member, start, end}" in bad(400, [{"member": a, "start": at(0)}])
    assert "offset" in bad(400, [{"member": a, "start": "2026-11-26T09:00:00", "end": at(8)}])
    assert "offset" in bad(400, [{"member": a, "start": "26/11/2026 09:00", "end": at(8)}])
    assert "offset" in bad(400, [{"member": a, "start": 1764147600, "end": at(8)}])
    assert "valid date" in bad(400, [{"member": a, "start": "2026-02-30T09:00:00Z", "end": at(8)}])
    assert "member id" in bad(400, [{"member": "Not A Member!", "start": at(0), "end": at(8)}])
    assert "longer than 7 days" in bad(400, [shift(a, 0, 24 * 8)], end=at(24 * 9))
    assert "after its 'from'" in bad(400, [shift(a, 0, 8)], start=at(24), end=at(0))
    assert "at most 93 days" in bad(400, [shift(a, 0, 8)], end=at(24 * 94))
    assert "unknown fields" in bad(400, [shift(a, 0, 8)], note="x")
    # what only the log's state tells
    assert "not a member of party IL" in bad(400, [shift("sy-duty", 0, 8)])
    assert "not a member of party IL" in bad(400, [shift("nobody", 0, 8)])
    assert "cannot hold the duty" in bad(400, [shift("il-auditor", 0, 8)])
    assert "not rewritten" in bad(400, [shift(a, -3, 8)], start=at(-3))
    assert "a year ahead" in bad(400, [shift(a, 24 * 400, 24 * 401)], at(24 * 400), at(24 * 401))
    do_disable_member(cell, "il-duty-2")
    size = cell.ledger.size()
    assert "disabled" in bad(400, [shift(b, 0, 8)])
    # who may publish, and how
    body = {"from": at(0), "to": at(8), "shifts": [shift(a, 0, 8)]}
    assert "party admin" in refused(403, il["d1"]._write, kinds.ROSTER, body)
    assert "its own members" in refused(
        403, sy.post, kinds.ROSTER, "duty/IL", ALL, {"party": "IL", **body}
    )
    assert "visibility" in refused(
        400, admin.post, kinds.ROSTER, "duty/IL", ["IL"], {"party": "IL", **body}
    )
    assert "subject" in refused(
        400, admin.post, kinds.ROSTER, "duty/SY", ALL, {"party": "IL", **body}
    )
    assert "unknown party" in refused(
        400, admin.post, kinds.ROSTER, "duty/XX", ALL, {"party": "XX", **body}
    )
    assert cell.ledger.size() == size
    assert admin.roster() == []


def test_a_roster_may_begin_a_few_minutes_back_for_the_admins_clock(
    cell: Cell, il: dict[str, DutyClient]
) -> None:
    il["admin"].publish(at(-0.05), at(8), [shift("il-duty", -0.05, 8)])  # three minutes back
    assert holder(cell, "IL", 0) == "il-duty"


# ---- now and next --------------------------------------------------------------------------


def test_now_and_next_at_the_edges_of_shifts(
    cell: Cell, clock: FrozenClock, il: dict[str, DutyClient]
) -> None:
    a, b = "il-duty", "il-duty-2"
    il["admin"].publish(
        at(0),
        at(48),
        [shift(a, 1, 9), shift(b, 9, 17), shift(b, 17, 25), shift(a, 27, 35)],
    )
    assert holder(cell, "IL", 0) is None and following(cell, "IL", 0) == (a, 1)
    assert holder(cell, "IL", 1) == a  # the start belongs to the shift
    assert holder(cell, "IL", 9 - 1 / 3600) == a and following(cell, "IL", 8.9) == (b, 9)
    assert holder(cell, "IL", 9) == b  # the end does not
    # b's two shifts back to back are one turn: next is a, after the gap
    assert following(cell, "IL", 9) == (a, 27)
    assert holder(cell, "IL", 26) is None and following(cell, "IL", 26) == (a, 27)
    assert holder(cell, "IL", 35) is None and following(cell, "IL", 35) is None
    assert holder(cell, "SY", 10) is None and following(cell, "SY", 10) is None

    clock.advance(timedelta(hours=9))
    board = {p["party"]: p for p in il["d1"].board()["parties"]}
    assert list(board) == ALL  # every party, in the charter's order
    now = board["IL"]["now"]
    assert now["member"] == b and now["since"] == at(9) and now["until"] == at(25)
    assert board["IL"]["next"]["member"] == a and board["IL"]["next"]["from"] == at(27)
    assert board["IL"]["timezone"] == "Asia/Jerusalem"
    assert board["SY"]["now"] is None and board["SY"]["next"] is None
    do_disable_member(cell, b)
    assert il["d1"].holders("IL")["now"]["disabled"] is True


def test_a_new_roster_replaces_its_window_and_cuts_what_crosses_it(
    cell: Cell, clock: FrozenClock, il: dict[str, DutyClient]
) -> None:
    a, b = "il-duty", "il-duty-2"
    first = il["admin"].publish(
        at(0), at(72), [shift(a, 0, 24), shift(b, 24, 48), shift(a, 48, 72)]
    )
    clock.advance(timedelta(hours=2))
    # the window [10, 30) cuts a's first shift and b's, and drops nothing else
    il["admin"].publish(at(10), at(30), [shift(b, 10, 20)])
    assert [
        (s["member"], s["start"], s["end"]) for s in il["d1"].roster(start=at(0), end=at(72))
    ] == [
        (a, at(0), at(10)),
        (b, at(10), at(20)),
        (b, at(30), at(48)),
        (a, at(48), at(72)),
    ]
    assert holder(cell, "IL", 25) is None  # a gap the admin chose
    # a window inside one shift keeps both of its ends
    il["admin"].publish(at(50), at(60), [shift(b, 50, 60)])
    got = il["d1"].roster(start=at(48), end=at(72))
    assert [(s["member"], s["start"], s["end"]) for s in got] == [
        (a, at(48), at(50)),
        (b, at(50), at(60)),
        (a, at(60), at(72)),
    ]
    assert got[0]["id"] == f"{first.index}.3"


# ---- swaps ---------------------------------------------------------------------------------


def test_swap_with_the_admins_consent(
    cell: Cell, clock: FrozenClock, il: dict[str, DutyClient]
) -> None:
    admin, d1, d2 = il["admin"], il["d1"], il["d2"]
    r = admin.publish(
        at(0),
        at(48),
        [shift("il-duty", 0, 12), shift("il-duty-2", 12, 24), shift("il-duty", 24, 36)],
    )
    s1, s2, s3 = (f"{r.index}.{n}" for n in (1, 2, 3))

    # refused requests: not one's own shift, a shift begun, oneself, an auditor
    assert "held by il-duty" in refused(409, d2.request_swap, s1, "il-duty")
    assert "has begun" in refused(409, d1.request_swap, s1, "il-duty-2")
    assert "someone else" in refused(400, d1.request_swap, s3, "il-duty")
    assert "cannot hold" in refused(400, d1.request_swap, s3, "il-auditor")
    assert "no such shift" in refused(404, d1.request_swap, "999.1", "il-duty-2")
    assert "itself" in refused(400, d1.request_swap, s3, "il-duty-2", s3)

    # an exchange: d1's shift 3 for d2's shift 2
    req = d1.request_swap(s3, "il-duty-2", s2)
    assert "already" in refused(409, d1.request_swap, s3, "il-duty-2")
    (pending,) = d2.requests("IL", "pending")
    assert pending["index"] == req.index and pending["kind"] == "swap" and not pending["lapsed"]
    assert pending["shift_times"] == {"start": at(24), "end": at(36)}
    assert "party admin" in refused(403, d2.decide, req.index)  # only the admin consents
    ok = admin.decide(req.index)
    got = {s["id"]: s["member"] for s in d1.roster(start=at(0), end=at(48))}
    assert got == {s1: "il-duty", s2: "il-duty", s3: "il-duty-2"}
    (done,) = d1.requests("IL", "approved")
    assert done["decided"] == {"index": ok.index, "by": "il-admin", "time": at(0)}
    assert "was approved already" in refused(409, admin.decide, req.index)
    assert "not to take" in refused(400, admin.decide, req.index, kind="take")

    # a give-away, declined; then one that lapses when its shift begins
    req = d2.request_swap(s3, "il-duty")
    admin.decide(req.index, approve=False)
    assert d2.requests("IL", "declined")[0]["index"] == req.index
    assert holder(cell, "IL", 30) == "il-duty-2"
    req = d2.request_swap(s3, "il-duty")
    clock.advance(timedelta(hours=24))
    assert d2.requests("IL", "pending")[0]["lapsed"] is True
    assert "has begun" in refused(409, admin.decide, req.index)
    admin.decide(req.index, approve=False)
    assert "no such request" in refused(404, admin.decide, 10_000)


def test_another_partys_requests_look_missing(
    cell: Cell, il: dict[str, DutyClient], member: MakeMember
) -> None:
    r = il["admin"].publish(at(0), at(48), [shift("il-duty", 10, 20)])
    req = il["d1"].request_swap(f"{r.index}.1", "il-duty-2")
    sy_admin = member("SY", "sy-admin", Role.PARTY_ADMIN)
    assert "no such request" in refused(404, sy_admin.decide, req.index)
    assert "no such shift" in refused(
        404, member("SY", "sy-duty").request_swap, f"{r.index}.1", "sy-admin"
    )


# ---- taking the duty ---------------------------------------------------------------------


def test_take_the_duty_with_the_admins_consent(
    cell: Cell, clock: FrozenClock, il: dict[str, DutyClient]
) -> None:
    admin, d1, d2 = il["admin"], il["d1"], il["d2"]
    r = admin.publish(at(0), at(48), [shift("il-duty", 0, 12), shift("il-duty-2", 12, 24)])
    clock.advance(timedelta(hours=3))
    assert "already" in refused(409, d1.request_take)
    req = d2.request_take()
    assert "already" in refused(409, d2.request_take)
    clock.advance(timedelta(minutes=30))
    ok = admin.decide(req.index, kind="take")
    # the shift in progress is cut at the approval's log time; d2 holds until its end
    shifts = d1.roster(start=at(0), end=at(48))
    assert [(s["id"], s["member"], s["start"], s["end"]) for s in shifts] == [
        (f"{r.index}.1", "il-duty", at(0), at(3.5)),
        (f"{ok.index}.1", "il-duty-2", at(3.5), at(12)),
        (f"{r.index}.2", "il-duty-2", at(12), at(24)),
    ]
    assert holder(cell, "IL", 3.5) == "il-duty-2"
    assert d1.holders("IL")["now"] == {
        "member": "il-duty-2",
        "shift": f"{ok.index}.1",
        "since": at(3.5),
        "until": at(24),
        "disabled": False,
    }
    # until a given time, across the next shift; the admin approves their own request
    req = admin.request_take(until=at(14))
    admin.decide(req.index, kind="take")
    assert holder(cell, "IL", 13) == "il-admin" and holder(cell, "IL", 14) == "il-duty-2"
    # outside any shift, a take needs an end
    clock.advance(timedelta(hours=24))
    req = d1.request_take()
    assert "no shift covers now" in refused(409, admin.decide, req.index, kind="take")
    assert "has passed" in refused(409, d1.request_take, at(20))
    admin.decide(req.index, approve=False, kind="take")
    req = d1.request_take(at(30))
    admin.decide(req.index, kind="take")
    assert holder(cell, "IL", 29) == "il-duty"
    assert "at most 7 days" in refused(400, d2.request_take, at(24 * 9))


def test_an_auditor_cannot_write_at_all(il: dict[str, DutyClient]) -> None:
    assert refused(403, il["auditor"].request_take)


# ---- hand-over notes -----------------------------------------------------------------------


def test_handover_notes_by_the_holders_visible_to_their_party(
    cell: Cell, clock: FrozenClock, il: dict[str, DutyClient], member: MakeMember
) -> None:
    admin, d1, d2 = il["admin"], il["d1"], il["d2"]
    admin.publish(at(0), at(48), [shift("il-duty", 0, 8), shift("il-duty-2", 8, 16)])
    note = d1.handover("المعبر مغلق حتى الصباح؛ راجع الرسالة 12.", "ar", to="il-duty-2")
    d2.handover("קיבלתי, תודה", "he")  # the next holder
    assert "holder of the duty" in refused(403, il["liaison"].handover, "x", "en")
    assert "someone else" in refused(400, d1.handover, "x", "en", to="il-duty")
    assert "not a member" in refused(400, d1.handover, "x", "en", to="sy-duty")
    assert "U+202E" in refused(400, d1.handover, "abc\u202edef", "en")
    assert "language" in refused(400, d1.handover, "hello", "fr")
    assert "empty" in refused(400, d1.handover, "   ", "en")
    # a note is the party's: visible to IL (and the supervisor), never to SY
    assert "visibility" in refused(
        400, d1.post, kinds.HANDOVER, "duty/IL", ALL, {"party": "IL", "text": "x", "lang": "en"}
    )
    notes = d1.handovers()
    assert [n["member"] for n in notes] == ["il-duty-2", "il-duty"]
    assert notes[1] == {
        "index": note.index,
        "party": "IL",
        "member": "il-duty",
        "to": "il-duty-2",
        "text": "المعبر مغلق حتى الصباح؛ راجع الرسالة 12.",
        "lang": "ar",
        "time": at(0),
    }
    assert member("SY", "sy-duty").handovers("IL") == []
    assert len(member("US", "us-duty").handovers("IL")) == 2
    # the outgoing holder may still write for two hours after the hand-over
    clock.advance(timedelta(hours=9))
    d1.handover("one more thing", "en")
    clock.advance(timedelta(hours=2))
    assert "holder of the duty" in refused(403, d1.handover, "too late", "en")


# ---- the API -------------------------------------------------------------------------------


def test_api_reads_and_bad_queries(cell: Cell, il: dict[str, DutyClient], http: Any) -> None:
    il["admin"].publish(at(0), at(48), [shift("il-duty", 0, 12)])
    h = il["d1"].headers
    assert http.get("/api/v1/duty/XX/roster", headers=h).status_code == 404
    assert http.get("/api/v1/duty/il/roster", headers=h).status_code == 400
    r = http.get("/api/v1/duty/IL/roster", params={"from": "yesterday"}, headers=h)
    assert r.status_code == 400 and "RFC 3339" in r.json()["detail"]
    r = http.get("/api/v1/duty/IL/roster", params={"from": at(0), "to": at(-1)}, headers=h)
    assert r.status_code == 400
    r = http.get("/api/v1/duty/IL/roster", params={"from": at(0), "to": at(24 * 100)}, headers=h)
    assert r.status_code == 400 and "93 days" in r.json()["detail"]
    r = http.get("/api/v1/duty/IL/requests", params={"state": "maybe"}, headers=h)
    assert r.status_code == 400
    r = http.get("/api/v1/duty/IL/handovers", params={"limit": 0}, headers=h)
    assert r.status_code == 400
    got = http.get("/api/v1/duty/IL/roster", headers=h).json()
    assert got["timezone"] == "Asia/Jerusalem" and len(got["shifts"]) == 1
    assert http.get("/api/v1/duty").status_code == 401


def test_draft_from_a_table_or_a_rotation(cell: Cell, il: dict[str, DutyClient], http: Any) -> None:
    h = il["admin"].headers
    # Jerusalem is UTC+2 in November: 11:00 there is T0 + 0
    table = (
        "# the week\nil-duty, 2026-11-26 11:00, 2026-11-26 19:00\n\n"
        "il-duty-2;2026-11-26 19:00;2026-11-27T03:00\n"
    )
    r = http.post("/api/v1/duty/IL/roster/draft", json={"table": table}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()["body"]
    assert body == {
        "party": "IL",
        "from": at(0),
        "to": at(16),
        "shifts": [shift("il-duty", 0, 8), shift("il-duty-2", 8, 16)],
    }
    assert r.json()["table"].splitlines()[1] == "il-duty-2, 2026-11-26 19:00, 2026-11-27 03:00"
    il["admin"].publish(body["from"], body["to"], body["shifts"])
    assert holder(cell, "IL", 8) == "il-duty-2"

    def problem(payload: dict[str, Any], status: int = 400, who: DutyClient | None = None) -> str:
        r = http.post(
            "/api/v1/duty/IL/roster/draft", json=payload, headers=(who or il["admin"]).headers
        )
        assert r.status_code == status, r.text
        return str(r.json()["detail"])

    assert "line 2" in problem({"table": "\nil-duty 2026-11-26 11:00 2026-11-26 19:00"})
    assert "line 1: start" in problem({"table": "il-duty, tomorrow, 2026-11-26 19:00"})
    assert "overlap" in problem(
        {
            "table": "il-duty, 2026-11-26 11:00, 2026-11-26 19:00\n"
            "il-duty-2, 2026-11-26 18:00, 2026-11-26 20:00"
        }
    )
    assert "il-auditor" in problem({"table": "il-auditor, 2026-11-26 11:00, 2026-11-26 19:00"})
    # Jerusalem moves its clocks on 2027-03-26 at 02:00: 02:30 never happens there
    assert "does not exist" in problem({"table": "il-duty, 2027-03-26 02:30, 2027-03-26 08:00"})
    assert "a table or a rotation" in problem({})
    assert "duty:manage" in problem({"table": "x"}, 403, il["d1"])
    assert (
        http.post("/api/v1/duty/SY/roster/draft", json={"table": "x"}, headers=h).status_code == 403
    )
    # a rotation: three members in turn, 8 hours each, from tomorrow 08:00 local
    rota = {
        "members": ["il-duty", "il-duty-2", "il-admin"],
        "start": "2026-11-27 08:00",
        "hours": 8,
        "count": 4,
    }
    r = http.post("/api/v1/duty/IL/roster/draft", json={"rotation": rota}, headers=h)
    assert r.status_code == 200, r.text
    got = r.json()["body"]["shifts"]
    assert [s["member"] for s in got] == ["il-duty", "il-duty-2", "il-admin", "il-duty"]
    assert (
        got[0]["start"] == "2026-11-27T06:00:00.000Z"
        and got[3]["end"] == "2026-11-28T14:00:00.000Z"
    )
    assert "hours" in problem({"rotation": {**rota, "hours": 5}})
    assert problem({"rotation": {**rota, "count": 0}})


# ---- rebuild -------------------------------------------------------------------------------


def test_rebuild_equals_live(cell: Cell, clock: FrozenClock, il: dict[str, DutyClient]) -> None:
    admin, d1, d2 = il["admin"], il["d1"], il["d2"]
    r = admin.publish(at(0), at(48), [shift("il-duty", 0, 12), shift("il-duty-2", 12, 36)])
    d1.handover("all quiet", "en", to="il-duty-2")
    req = d2.request_swap(f"{r.index}.2", "il-admin")
    admin.decide(req.index)
    clock.advance(timedelta(hours=2))
    take = d2.request_take()
    admin.decide(take.index, kind="take")
    admin.publish(at(30), at(60), [shift("il-duty", 30, 40), shift("il-duty-2", 40, 60)])
    live = snapshot(cell)
    assert live["duty_shifts"] and live["duty_handovers"] and live["duty_requests"]
    rebuild(cell)
    assert snapshot(cell) == live
