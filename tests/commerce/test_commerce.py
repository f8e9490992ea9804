"""Commercial opportunities through the API and the Python client: a proposal's life in
three languages, who sees and who may do what, every version kept, and the rebuild."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.client import ClientError
from fusioncell.commerce import kinds
from fusioncell.commerce.client import CommerceClient
from fusioncell.deadlines.tables import deadlines
from fusioncell.projections import PROJECTED, rebuild
from tests.commerce.conftest import MakeMember

AR_TITLE = "ربط شبكتي الكهرباء عبر الحدود"
AR_TEXT = "نقترح دراسة ربط شبكتي الكهرباء لتبادل الفائض في أشهر الصيف."
HE_TEXT = "אנו מעוניינים ומבקשים את נתוני העומס החודשיים."


def refused(status: int, call: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(ClientError) as e:
        call(*args, **kw)
    assert e.value.status == status, e.value.detail
    return e.value.detail


def propose(sy: CommerceClient, **kw: Any) -> str:
    pid, _ = sy.submit(
        ["IL", "US"],
        "energy",
        AR_TITLE,
        AR_TEXT,
        "ar",
        partners=["الشركة السورية للكهرباء", "Israel Electric Corporation"],
        value=(25_000_000, "USD"),
        **kw,
    )
    return pid


def test_a_proposal_from_submission_to_completion(cell: Cell, member: MakeMember) -> None:
    sy = member("SY", "sy-liaison")
    il = member("IL", "il-head", Role.HEAD_OF_DELEGATION)
    us = member("US", "us-duty", Role.DUTY_OFFICER)
    doc = sy.upload(b"%PDF-1.4 feasibility study", "study.pdf")
    pid = propose(sy, documents=[doc])

    # Every party of it sees it; the interest of IL (the counterparty) is asked, on a clock.
    for c in (sy, il, us):
        [row] = c.proposals()
        assert row["id"] == pid and row["stage"] == "proposed"
        assert row["value"] == {"amount": 25_000_000, "currency": "USD"}
    view = il.proposal(pid)
    assert view["counterparties"] == ["IL"]
    assert view["interest_now"] == {"IL": None}
    assert view["proposal"]["title"] == AR_TITLE and view["proposal"]["lang"] == "ar"
    assert view["proposal"]["understanding"] == "borders-economy"
    assert view["next"] == ["under_review", "declined"]
    assert il.document(pid, doc["sha256"]) == b"%PDF-1.4 feasibility study"
    with cell.engine.connect() as c:
        clock = c.execute(select(deadlines).where(deadlines.c.kind == "commerce.interest")).one()
    assert clock.party == "IL" and clock.state == "open"
    assert clock.due == "2026-11-28T09:00:00.000Z"  # clocks.clarification_answer: 48h

    sy.move(pid, "under_review")
    # Agreeing in principle needs the counterparty's interest first.
    detail = refused(409, sy.move, pid, "agreed_in_principle")
    assert "IL" in detail
    il.express_interest(pid, "need_more", "נא לשלוח את נתוני העומס.", "he")
    refused(409, sy.move, pid, "agreed_in_principle")
    il.express_interest(pid, "interested", HE_TEXT, "he")
    us.express_interest(pid, "interested", "The US is ready to support.", "en")
    with cell.engine.connect() as c:
        assert c.execute(select(deadlines.c.state)).scalar() == "met"

    il.move(pid, "agreed_in_principle", "מסכימים עקרונית.", "he")
    refused(409, sy.move, pid, "completed")  # one step at a time
    sy.move(pid, "in_progress")
    sy.move(pid, "completed", "اكتمل الربط.", "ar")
    refused(409, sy.move, pid, "declined", "late", "en")
    refused(409, il.express_interest, pid, "interested", "again", "en")

    view = us.proposal(pid)
    assert view["proposal"]["stage"] == "completed"
    assert [(s["from"], s["stage"], s["party"]) for s in view["stages"]] == [
        ("proposed", "under_review", "SY"),
        ("under_review", "agreed_in_principle", "IL"),
        ("agreed_in_principle", "in_progress", "SY"),
        ("in_progress", "completed", "SY"),
    ]
    assert view["stages"][1]["text"] == "מסכימים עקרונית." and view["stages"][1]["lang"] == "he"
    assert [(i["party"], i["level"]) for i in view["interest"]] == [
        ("IL", "need_more"),
        ("IL", "interested"),
        ("US", "interested"),
    ]
    assert view["interest_now"] == {"IL": "interested"}
    assert view["next"] == []
    assert [r["id"] for r in us.proposals(stage="completed")] == [pid]
    assert us.proposals(stage="proposed") == []
    assert us.proposals(sector="water") == []


def test_a_revision_is_a_new_version(member: MakeMember) -> None:
    sy = member("SY", "sy-liaison")
    il = member("IL", "il-liaison")
    pid = propose(sy)
    sy.revise(pid, "energy", AR_TITLE, AR_TEXT + " المرحلة الأولى فقط.", "ar", value=(9, "EUR"))
    refused(403, il.revise, pid, "energy", "mine now", "text", "en")
    refused(400, sy.revise, pid, "energy", AR_TITLE, AR_TEXT + " المرحلة الأولى فقط.", "ar",
            value=(9, "EUR"))  # fmt: skip
    view = il.proposal(pid)
    assert view["proposal"]["version"] == 2
    assert view["proposal"]["value"] == {"amount": 9, "currency": "EUR"}
    assert view["proposal"]["partners"] == []
    first, second = view["versions"]
    assert first["description"] == AR_TEXT
    assert first["value"] == {"amount": 25_000_000, "currency": "USD"}
    assert second["description"].endswith("المرحلة الأولى فقط.")


def test_declining_needs_a_reason_and_cancels_the_clock(cell: Cell, member: MakeMember) -> None:
    sy = member("SY", "sy-liaison")
    il = member("IL", "il-liaison")
    pid = propose(sy)
    refused(400, il.move, pid, "declined")
    il.move(pid, "declined", "Not at this time.", "en")
    refused(409, sy.move, pid, "under_review")
    refused(409, sy.revise, pid, "water", "t", "d", "en")
    with cell.engine.connect() as c:
        assert c.execute(select(deadlines.c.state)).scalar() == "cancelled"
    assert il.proposal(pid)["stages"][0]["text"] == "Not at this time."


def test_who_may_do_what(member: MakeMember) -> None:
    sy = member("SY", "sy-liaison")
    il_duty = member("IL", "il-duty", Role.DUTY_OFFICER)
    us = member("US", "us-head", Role.HEAD_OF_DELEGATION)
    pid = propose(sy)
    refused(403, sy.express_interest, pid, "interested", "we like ours", "en")
    # A duty officer states interest but does not move the stage.
    il_duty.express_interest(pid, "interested", "yes", "en")
    refused(403, il_duty.move, pid, "under_review")
    # The supervisor oversees: it is not a counterparty and moves no stage.
    refused(403, us.move, pid, "under_review")


def test_a_party_not_chosen_sees_nothing(cell: Cell, member: MakeMember) -> None:
    sy = member("SY", "sy-liaison")
    il = member("IL", "il-liaison")
    us = member("US", "us-head", Role.HEAD_OF_DELEGATION)
    doc = sy.upload(b"private notes", "notes.txt")
    pid, _ = sy.submit(["US"], "water", "Water study", "Only for the US.", "en", documents=[doc])
    assert il.proposals() == []
    refused(404, il.proposal, pid)
    refused(404, il.document, pid, doc["sha256"])
    # Writing to it as IL: the same answer as for a proposal that does not exist.
    il._proposal_parties[pid] = ["IL", "SY", "US"]
    refused(404, il.express_interest, pid, "interested", "let us in", "en")
    refused(404, il.express_interest, "nosuchproposal", "interested", "x", "en")
    assert [r["id"] for r in us.proposals()] == [pid]
    assert us.proposal(pid)["counterparties"] == ["US"]
    # IL cannot pull SY's file into a proposal of its own by naming its hash.
    refused(404, il.submit, ["SY", "US"], "water", "Copy", "copy", "en", documents=[doc])


def raw(c: CommerceClient, kind: str, pid: str, body: dict[str, Any], vis: list[str]) -> str:
    return refused(400, c.post, kind, kinds.subject(pid), vis, body)


GOOD: dict[str, Any] = {
    "proposal": "prop-0001",
    "parties": ["IL", "SY", "US"],
    "sector": "trade",
    "title": "Crossing for goods",
    "description": "A crossing for trucks.",
    "lang": "en",
    "partners": [],
    "documents": [],
    "understanding": "borders-economy",
}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"sector": "mining"}, "sector must be one of"),
        ({"value": {"amount": 5, "currency": "usd"}}, "ISO 4217"),
        ({"value": {"amount": 5, "currency": "XYZ"}}, "ISO 4217"),
        ({"value": {"amount": -1, "currency": "USD"}}, "whole number"),
        ({"value": {"amount": "5", "currency": "USD"}}, "whole number"),
        ({"value": {"amount": 5}}, "value is {amount, currency}"),
        ({"title": "abc\u202edef"}, "bidi control"),
        ({"title": "x" * 201}, "longer than"),
        ({"description": "   "}, "description is empty"),
        ({"lang": "fr"}, "language must be one of"),
        ({"understanding": "nope"}, "unknown understanding"),
        ({"partners": ["A", "A"]}, "named twice"),
        ({"partners": ["a\nb"]}, "partner is plain text"),
        ({"partners": "A"}, "partners is a list"),
        ({"parties": ["IL", "SY"]}, "supervisor"),
        ({"parties": ["SY", "IL", "US"]}, "sorted list"),
        ({"parties": ["SY", "US", "ZZ"]}, "unknown party"),
        ({"proposal": "BAD_ID_X"}, "proposal id"),
        ({"extra": 1}, "unknown fields"),
        ({"documents": [{"sha256": "0" * 64}]}, "an attachment is"),
    ],
)
def test_bad_proposals_are_refused_clearly(
    member: MakeMember, change: dict[str, Any], says: str
) -> None:
    sy = member("SY", "sy-liaison")
    body = {**GOOD, **change}
    # The body is checked before the visibility: the log's own visibility checks aside.
    detail = raw(sy, kinds.SUBMITTED, body["proposal"], body, ["IL", "SY", "US"])
    assert says in detail


def test_bad_entries_on_a_proposal(member: MakeMember) -> None:
    sy = member("SY", "sy-liaison")
    il = member("IL", "il-liaison")
    sy.post(kinds.SUBMITTED, kinds.subject("prop-0001"), GOOD["parties"], GOOD)
    vis = GOOD["parties"]
    for body, says in [
        ({"proposal": "prop-0001", "level": "maybe", "text": "x", "lang": "en"}, "level"),
        ({"proposal": "prop-0001", "level": "interested", "lang": "en"}, "lacks text"),
    ]:
        assert says in raw(il, kinds.INTEREST, "prop-0001", body, vis)
    for body, says in [
        ({"proposal": "prop-0001", "stage": "proposed"}, "stage must be one of"),
        ({"proposal": "prop-0001", "stage": "done"}, "stage must be one of"),
        ({"proposal": "prop-0001", "stage": "under_review", "text": "x"}, "language"),
    ]:
        assert says in raw(il, kinds.STAGE, "prop-0001", body, vis)
    # Subject and visibility must match the proposal.
    body = {"proposal": "prop-0001", "stage": "under_review"}
    assert "subject" in raw(il, kinds.STAGE, "prop-0002", body, vis)
    assert "visibility" in raw(il, kinds.STAGE, "prop-0001", body, ["IL", "SY"])
    refused(409, sy.post, kinds.SUBMITTED, kinds.subject("prop-0001"), vis, GOOD)


def test_the_api_refuses_bad_reads(member: MakeMember, http: Any) -> None:
    sy = member("SY", "sy-liaison")
    pid = propose(sy)
    h = sy.headers
    for path, status in [
        ("/proposals?stage=done", 400),
        ("/proposals?sector=mining", 400),
        ("/proposals?stage=" + "x" * 30, 400),
        ("/proposals/BAD!", 400),
        ("/proposals/nosuchproposal", 404),
        (f"/proposals/{pid}/documents/nothex", 400),
        (f"/proposals/{pid}/documents/" + "0" * 64, 404),
    ]:
        r = http.get("/api/v1/commerce" + path, headers=h)
        assert r.status_code == status, (path, r.text)
        assert r.json()["detail"]
    r = http.get("/api/v1/commerce/proposals", headers={"accept": "application/json"})
    assert r.status_code == 401


def _snapshot(cell: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with cell.engine.connect() as c:
        for t in PROJECTED:
            if t.name.startswith("commerce_") or t.name == "deadlines":
                rows = c.execute(select(t)).mappings().all()
                out[t.name] = sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in rows)
    return out


def test_rebuild_gives_the_same_tables(cell: Cell, member: MakeMember) -> None:
    sy = member("SY", "sy-liaison")
    il = member("IL", "il-liaison")
    doc = sy.upload(b"%PDF-1.4 x", "x.pdf")
    pid = propose(sy, documents=[doc])
    sy.revise(pid, "energy", AR_TITLE, "نص جديد", "ar", documents=[doc])
    il.express_interest(pid, "interested", HE_TEXT, "he")
    sy.move(pid, "under_review")
    other = propose(sy)
    il.move(other, "declined", "לא כעת.", "he")
    live = _snapshot(cell)
    assert live["commerce_proposals"] and live["commerce_stages"]
    rebuild(cell)
    assert _snapshot(cell) == live


def test_an_interest_left_unstated_is_a_missed_deadline(cell: Cell, member: MakeMember) -> None:
    from datetime import timedelta

    from fusioncell.clock import FrozenClock
    from fusioncell.deadlines.engine import DeadlineEngine
    from fusioncell.ledger.tables import log_entries

    sy = member("SY", "sy-liaison")
    il = member("IL", "il-liaison")
    pid = propose(sy)
    engine = DeadlineEngine(cell, schedules=[])
    assert isinstance(cell.clock, FrozenClock)
    cell.clock.advance(timedelta(hours=47))
    assert engine.run_due() == 0
    cell.clock.advance(timedelta(hours=1))
    assert engine.run_due() == 1  # missed; ROUTINE escalates no further
    with cell.engine.connect() as c:
        assert c.execute(select(deadlines.c.state)).scalar() != "open"
        missed = c.execute(
            select(log_entries.c.kind, log_entries.c.subject, log_entries.c.visibility).where(
                log_entries.c.kind == "system.deadline.missed"
            )
        ).one()
    assert missed.visibility == ",IL,SY,US,"  # the proposal's parties
    # A late answer is still taken; the clock stays as it was.
    il.express_interest(pid, "interested", "Late, but yes.", "en")
    assert il.proposal(pid)["interest_now"] == {"IL": "interested"}
