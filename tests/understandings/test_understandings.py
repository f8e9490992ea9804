"""Understandings through the API and the Python client: the life of a status and of
milestones, who may do what, bad input, a missed milestone breached by the engine, links
seen only by the linked entry's readers, and the rebuild."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.client import ClientError
from fusioncell.clock import FrozenClock
from fusioncell.deadlines.engine import DeadlineEngine
from fusioncell.deadlines.tables import deadlines
from fusioncell.ledger.tables import log_entries
from fusioncell.projections import PROJECTED, rebuild
from fusioncell.understandings import kinds
from fusioncell.understandings.client import UnderstandingsClient
from tests.understandings.conftest import MakeMember

SEC = "security-arrangements"
HALT = "halt-military-activity"
HE_REASON = "הצדדים החלו לדון בהסדרים במסגרת התא."
AR_REASON = "لم يتوقف النشاط العسكري بعد."


def refused(status: int, call: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(ClientError) as e:
        call(*args, **kw)
    assert e.value.status == status, e.value.detail
    return e.value.detail


def thread(c: UnderstandingsClient, tid: str, parties: list[str]) -> int:
    """A thread opened by `c` for `parties`: an entry only they read."""
    body = {
        "thread": tid,
        "workstream": "deescalation",
        "topic": {"text": "قرب خط الفصل", "lang": "ar"},
        "parties": parties,
    }
    return c.post("cell.thread.opened", f"t/{tid}", parties, body).index


@pytest.fixture
def cast(member: MakeMember) -> dict[str, UnderstandingsClient]:
    return {
        "us": member("US", "us-supervisor", Role.SUPERVISOR),
        "il": member("IL", "il-head", Role.HEAD_OF_DELEGATION),
        "sy": member("SY", "sy-head", Role.HEAD_OF_DELEGATION),
        "il_liaison": member("IL", "il-liaison"),
        "sy_liaison": member("SY", "sy-liaison"),
    }


def test_the_charter_understandings_and_a_status_life(
    cell: Cell, cast: dict[str, UnderstandingsClient]
) -> None:
    us, il, sy = cast["us"], cast["il"], cast["sy"]
    rows = il.understandings()
    assert [r["id"] for r in rows][:3] == [SEC, "fusion-mechanism", "disagreements"]
    assert len(rows) == 8 and {r["status"] for r in rows} == {"not_started"}
    halt = next(r for r in rows if r["id"] == HALT)
    assert halt["kind"] == "stated" and halt["stated_by"] == "SY"
    assert halt["parties"] == ["IL", "US"]
    assert halt["source"]["en"] == "A Syrian official, to Reuters"

    shared = thread(sy, "shared-thread", ["IL", "SY", "US"])
    detail = refused(400, il.set_status, SEC, "in_progress", HE_REASON, "he")  # no evidence
    assert "needs evidence" in detail
    il.set_status(SEC, "in_progress", HE_REASON, "he", [shared])
    refused(409, il.set_status, SEC, "in_progress", HE_REASON, "he", [shared])
    sy.set_status(SEC, "disputed", "لا تقدّم فعلي.", "ar", [shared, 0])
    us.set_status(SEC, "met", "Arrangements in place.", "en", [shared])

    view = il.understanding(SEC)
    assert view["understanding"]["status"] == "met"
    assert [(s["from"], s["status"], s["party"]) for s in view["statuses"]] == [
        ("not_started", "in_progress", "IL"),
        ("in_progress", "disputed", "SY"),
        ("disputed", "met", "US"),
    ]
    assert view["statuses"][0]["reason"] == HE_REASON and view["statuses"][0]["lang"] == "he"
    ev = view["statuses"][1]["evidence"]
    assert [e["index"] for e in ev] == [shared, 0]
    assert ev[0]["href"] == "/cell/t/shared-thread" and ev[1]["kind"] == "charter.adopted"
    assert view["stewards"] == ["IL", "SY"]
    assert next(r for r in us.understandings() if r["id"] == SEC)["status"] == "met"


def test_milestones_timeline_and_verification(
    cell: Cell, clock: FrozenClock, cast: dict[str, UnderstandingsClient]
) -> None:
    us, il, sy = cast["us"], cast["il"], cast["sy"]
    us.set_timeline(SEC, "2026-11-26", "2027-03-31", "As agreed in Paris.", "en")
    # A milestone due after the understanding's end is refused.
    detail = refused(400, us.set_milestone, SEC, "Late", "en", "2027-04-01T00:00:00Z", ["IL", "SY"])
    assert "after the understanding's end" in detail
    refused(400, us.set_milestone, SEC, "Past", "en", "2026-11-25T00:00:00Z", ["IL"])
    mid, _ = us.set_milestone(
        SEC, "Joint map agreed", "en", "2027-03-31T23:59:59+00:00", ["IL", "SY"]
    )
    mid2, _ = il.set_milestone(SEC, "תרגיל קו חם", "he", "2026-12-20T09:00:00Z", ["IL", "SY"])
    # The end may not move before an open milestone.
    refused(409, us.set_timeline, SEC, None, "2027-01-31", "shorter", "en")
    with cell.engine.connect() as c:
        clocks = c.execute(
            select(deadlines.c.party, deadlines.c.due, deadlines.c.state).where(
                deadlines.c.kind == "understanding.milestone"
            )
        ).all()
    assert sorted(clocks) == [
        ("IL", "2026-12-20T09:00:00.000Z", "open"),
        ("IL", "2027-03-31T23:59:59.000Z", "open"),
        ("SY", "2026-12-20T09:00:00.000Z", "open"),
        ("SY", "2027-03-31T23:59:59.000Z", "open"),
    ]
    # Moved with a reason: the old clocks are cancelled, new ones opened.
    il.move_milestone(SEC, mid2, "2027-01-10T09:00:00Z", "נדחה בשל החגים.", "he")
    refused(400, il.move_milestone, SEC, mid2, "2027-05-10T09:00:00Z", "too late", "en")
    shared = thread(sy, "drill-thread", ["IL", "SY", "US"])
    sy.meet_milestone(SEC, mid2, "أُجري التمرين.", "ar", [shared])
    refused(409, sy.meet_milestone, SEC, mid2, "again", "en", [shared])
    refused(409, il.move_milestone, SEC, mid2, "2027-02-10T09:00:00Z", "later", "en")
    with cell.engine.connect() as c:
        states = sorted(
            c.execute(
                select(deadlines.c.state).where(deadlines.c.kind == "understanding.milestone")
            ).scalars()
        )
    assert states == ["cancelled", "cancelled", "met", "met", "open", "open"]

    us.verify_report(SEC, "concerns", "The drill was held; the map is late.", "en", [shared])
    us.verify_report(SEC, "cannot_verify", "No access to the area.", "en")
    refused(400, us.verify_report, SEC, "on_track", "No evidence.", "en")
    refused(403, il.verify_report, SEC, "on_track", "ours", "en", [shared])

    view = sy.understanding(SEC)
    assert view["understanding"]["start"] == "2026-11-26"
    assert view["understanding"]["end"] == "2027-03-31"
    ms = {m["id"]: m for m in view["milestones"]}
    assert ms[mid]["state"] == "open" and ms[mid2]["state"] == "met"
    assert [e["event"] for e in ms[mid2]["history"]] == ["set", "moved", "met"]
    assert ms[mid2]["history"][1]["text"] == "נדחה בשל החגים."
    assert ms[mid2]["due"] == "2027-01-10T09:00:00.000Z"
    assert [v["assessment"] for v in view["verifications"]] == ["concerns", "cannot_verify"]
    nxt = next(r for r in sy.understandings() if r["id"] == SEC)["next_milestone"]
    assert nxt["id"] == mid


def test_a_missed_milestone_is_breached_by_the_engine(
    cell: Cell, clock: FrozenClock, cast: dict[str, UnderstandingsClient]
) -> None:
    us, sy = cast["us"], cast["sy"]
    mid, _ = us.set_milestone(HALT, "Halt confirmed", "en", "2026-11-28T09:00:00Z", ["IL", "US"])
    engine = DeadlineEngine(cell)
    clock.advance(timedelta(hours=47))
    assert engine.run_due() == 0
    clock.advance(timedelta(hours=1, seconds=1))
    assert engine.run_due() >= 1
    [m] = sy.understanding(HALT)["milestones"]
    assert m["state"] == "breached"
    assert [e["event"] for e in m["history"]] == ["set", "breached"]
    assert m["history"][1]["party"] == "*"
    with cell.engine.connect() as c:
        kinds_written = c.execute(select(log_entries.c.kind)).scalars().all()
    assert "system.deadline.missed" in kinds_written
    # Missed: it is neither met nor moved any more; a status changes only by an entry.
    refused(409, us.meet_milestone, HALT, mid, "late", "en", [0])
    refused(409, us.move_milestone, HALT, mid, "2026-12-01T09:00:00Z", "later", "en")
    assert sy.understanding(HALT)["understanding"]["status"] == "not_started"
    assert engine.run_due() == 0  # acted on once


def test_met_after_the_due_time_is_refused(
    clock: FrozenClock, cast: dict[str, UnderstandingsClient]
) -> None:
    us = cast["us"]
    mid, _ = us.set_milestone(SEC, "Soon", "en", "2026-11-26T10:00:00Z", ["IL"])
    clock.advance(timedelta(hours=2))
    detail = refused(409, us.meet_milestone, SEC, mid, "done", "en", [0])
    assert "missed" in detail


def test_who_may_do_what(cast: dict[str, UnderstandingsClient], member: MakeMember) -> None:
    us, il, sy = cast["us"], cast["il"], cast["sy"]
    il_liaison, sy_liaison = cast["il_liaison"], cast["sy_liaison"]
    us_duty = member("US", "us-duty", Role.DUTY_OFFICER)
    # A liaison officer does not change a status; nor does the duty officer of the supervisor.
    refused(403, il_liaison.set_status, SEC, "in_progress", "x", "en", [0])
    refused(403, us_duty.set_status, SEC, "in_progress", "x", "en", [0])
    # SY is not bound by withdrawal-timeline? It stated it: its head stewards it.
    sy.set_status("withdrawal-timeline", "in_progress", "بدأ النقاش.", "ar", [0])
    # borders-economy binds IL and was stated by IL: SY's head is not a steward.
    refused(403, sy.set_status, "borders-economy", "in_progress", "x", "ar", [0])
    # halt-military-activity: stated by SY, binds IL and US.
    sy.set_status(HALT, "disputed", AR_REASON, "ar", [0])
    il.set_status(HALT, "in_progress", HE_REASON, "he", [0])
    refused(403, sy.set_timeline, "borders-economy", None, "2027-01-01", "x", "ar")
    refused(403, sy.set_milestone, "borders-economy", "t", "ar", "2027-01-01T00:00:00Z", ["IL"])
    # A head of a responsible party meets a milestone of an understanding it does not steward.
    mid, _ = il.set_milestone(
        "borders-economy", "معبر تجاري", "ar", "2027-01-01T00:00:00Z", ["IL", "SY"]
    )
    refused(403, sy_liaison.meet_milestone, "borders-economy", mid, "x", "ar", [0])
    sy.meet_milestone("borders-economy", mid, "فُتح المعبر.", "ar", [0])
    # Recording: joint by the supervisor; stated by its own party's head or liaison officer.
    us.record("second-round", "joint", "A second round is held.", "en", ["IL", "SY"], "Paris II")
    refused(403, il.record, "joint-by-il", "joint", "t", "en", ["IL"], "s")
    sy_liaison.record("sy-position", "stated", "موقف سوري.", "ar", ["IL"], "وكالة سانا")
    refused(403, us_duty.record, "us-position", "stated", "t", "en", ["US"], "s")
    refused(409, us.record, "second-round", "joint", "again", "en", ["IL"], "s")
    refused(409, us.record, SEC, "joint", "again", "en", ["IL"], "s")
    rows = {r["id"]: r for r in il.understandings()}
    assert rows["sy-position"]["stated_by"] == "SY" and rows["sy-position"]["lang"] == "ar"
    assert rows["second-round"]["stated_by"] is None
    assert list(rows)[-2:] == ["second-round", "sy-position"]
    # The stating party's head stewards its recorded understanding.
    sy.set_status("sy-position", "in_progress", "قيد المتابعة.", "ar", [0])


def test_evidence_hidden_from_the_author_is_refused_like_a_missing_one(
    cast: dict[str, UnderstandingsClient],
) -> None:
    us, il, sy = cast["us"], cast["il"], cast["sy"]
    hidden = thread(sy, "sy-us-only", ["SY", "US"])
    missing = refused(404, il.set_status, SEC, "disputed", "x", "en", [hidden + 1000])
    hidden_detail = refused(404, il.set_status, SEC, "disputed", "x", "en", [hidden])
    assert missing == hidden_detail == "no such entry"
    mid, _ = us.set_milestone(SEC, "m", "en", "2027-01-01T00:00:00Z", ["IL"])
    assert refused(404, il.meet_milestone, SEC, mid, "x", "en", [hidden]) == "no such entry"
    # The supervisor sees everything: it may cite it; IL sees the index, not what it is.
    us.set_status(SEC, "disputed", "Raised in a bilateral channel.", "en", [hidden])
    [s] = il.understanding(SEC)["statuses"]
    assert s["evidence"] == [{"index": hidden, "kind": None, "href": None}]
    [s] = sy.understanding(SEC)["statuses"]
    assert s["evidence"][0]["kind"] == "cell.thread.opened"


def test_a_link_is_seen_by_exactly_the_linked_entry_readers(
    cast: dict[str, UnderstandingsClient],
) -> None:
    us, il, sy = cast["us"], cast["il"], cast["sy"]
    hidden = thread(sy, "sy-us-link", ["SY", "US"])
    shared = thread(sy, "all-link", ["IL", "SY", "US"])
    sy.link(HALT, hidden, "ملاحظة للمشرف.", "ar")
    il.link(HALT, shared)
    refused(409, sy.link, HALT, shared)
    # IL cannot link what it cannot read: the same 404 as a missing entry.
    assert refused(404, il.link, HALT, hidden) == "no such entry"
    assert refused(404, il.link, HALT, hidden + 1000) == "no such entry"
    # Linking with a visibility other than the entry's is refused.
    refused(400, sy.post, kinds.LINKED, kinds.subject(HALT), ["IL", "SY", "US"],
            {"understanding": HALT, "entry": hidden})  # fmt: skip
    refused(400, sy.link, HALT, 0)  # the charter itself is not linked
    assert [k["entry"] for k in il.understanding(HALT)["links"]] == [shared]
    assert [k["entry"] for k in sy.understanding(HALT)["links"]] == [hidden, shared]
    links = us.understanding(HALT)["links"]
    assert links[0]["note"] == "ملاحظة للمشرف." and links[0]["href"] == "/cell/t/sy-us-link"


def good(**change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "understanding": SEC,
        "status": "in_progress",
        "reason": "ok",
        "lang": "en",
        "evidence": [0],
    }
    body.update(change)
    return {k: v for k, v in body.items() if v is not DROP}


DROP = object()


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (good(status="finished"), 400, "status must be one of"),
        (good(status=3), 400, "status must be one of"),
        (good(reason=""), 400, "reason is empty"),
        (good(reason="   "), 400, "reason is empty"),
        (good(reason="ok\u202eko"), 400, "bidi control"),
        (good(reason="x" * 9000), 400, "longer than"),
        (good(reason=7), 400, "must be a string"),
        (good(lang="fr"), 400, "language must be one of"),
        (good(evidence="12"), 400, "evidence is a list"),
        (good(evidence=[True]), 400, "evidence is a list"),
        (good(evidence=[1.5]), 400, "evidence is a list"),
        (good(evidence=[-1]), 400, "evidence is a list"),
        (good(evidence=[0, 0]), 400, "twice"),
        (good(evidence=[]), 400, "needs evidence"),
        (good(status="met", evidence=[]), 400, "needs evidence"),
        (good(status="breached", evidence=[]), 400, "needs evidence"),
        (good(extra=1), 400, "unknown fields"),
        (good(evidence=DROP), 400, "lacks evidence"),
        (good(understanding="no-such-one"), 404, "no such understanding"),
        (good(understanding="BAD_ID"), 400, "understanding id"),
    ],
)
def test_bad_status_bodies(
    cast: dict[str, UnderstandingsClient], body: dict[str, Any], status: int, says: str
) -> None:
    us = cast["us"]
    subject = kinds.subject(body["understanding"])
    detail = refused(status, us.post, kinds.STATUS, subject, us.codes(), body)
    assert says in detail, detail
    assert us.understanding(SEC)["statuses"] == []


def test_other_bad_input(cast: dict[str, UnderstandingsClient]) -> None:
    us = cast["us"]
    codes = us.codes()
    assert refused(404, us.understanding, "no-such-one") == "no such understanding"
    refused(404, us.set_status, "no-such-one", "met", "x", "en", [0])
    refused(404, us.set_milestone, "no-such-one", "t", "en", "2027-01-01T00:00:00Z", ["IL"])
    refused(400, us.set_timeline, SEC, "2027-02-01", "2027-01-01", "backwards", "en")
    refused(400, us.set_timeline, SEC, "2027-02-30", None, "no such day", "en")
    refused(400, us.set_timeline, SEC, "01/02/2027", None, "format", "en")
    refused(400, us.set_milestone, SEC, "t", "en", "tomorrow", ["IL"])
    refused(400, us.set_milestone, SEC, "t", "en", "2027-01-01T00:00:00Z", ["XX"])
    refused(400, us.set_milestone, SEC, "x" * 201, "en", "2027-01-01T00:00:00Z", ["IL"])
    refused(400, us.set_milestone, SEC, "t", "en", "2027-01-01T00:00:00Z", [])
    refused(400, us.verify_report, SEC, "great", "x", "en", [0])
    refused(404, us.meet_milestone, SEC, "nosuchmilestone", "x", "en", [0])
    refused(400, us.meet_milestone, SEC, "nosuchmilestone", "x", "en", [])
    # The shared record is visible to every party; a subject naming another understanding.
    body = {"understanding": SEC, "status": "in_progress", "reason": "x", "lang": "en",
            "evidence": []}  # fmt: skip
    refused(400, us.post, kinds.STATUS, kinds.subject(SEC), ["SY", "US"], body)
    refused(400, us.post, kinds.STATUS, kinds.subject(HALT), codes, body)
    refused(400, us.post, "understanding.nonsense", kinds.subject(SEC), codes, body)
    assert us.understanding(SEC)["statuses"] == []


def test_live_tables_equal_a_rebuild(
    cell: Cell, clock: FrozenClock, cast: dict[str, UnderstandingsClient]
) -> None:
    us, il, sy = cast["us"], cast["il"], cast["sy"]
    shared = thread(sy, "rebuild-thread", ["IL", "SY", "US"])
    hidden = thread(sy, "rebuild-hidden", ["SY", "US"])
    us.set_timeline(SEC, "2026-11-26", "2027-06-30", "Paris.", "en")
    il.set_status(SEC, "in_progress", HE_REASON, "he", [shared])
    us.set_milestone(SEC, "Map", "en", "2026-11-27T09:00:00Z", ["IL", "SY"])
    mid2, _ = us.set_milestone(SEC, "Drill", "en", "2027-01-27T09:00:00Z", ["SY"])
    sy.meet_milestone(SEC, mid2, "تم.", "ar", [hidden])
    us.verify_report(SEC, "on_track", "Fine.", "en", [shared])
    sy.link(HALT, hidden, "ملاحظة", "ar")
    us.record("second-round", "joint", "A second round.", "en", ["IL", "SY"], "Paris II")
    clock.advance(timedelta(days=2))
    DeadlineEngine(cell).run_due()

    def snapshot() -> dict[str, list[Any]]:
        with cell.engine.connect() as c:
            return {t.name: sorted(map(tuple, c.execute(select(t)).all())) for t in PROJECTED}

    live = snapshot()
    assert any(r[7] == "breached" for r in live["understanding_milestones"])
    assert len(live["understandings"]) == 9
    rebuild(cell)
    assert snapshot() == live
