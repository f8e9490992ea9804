"""Disputes through the API and the Python client: a dispute's whole life in three
languages, who sees and who may do what, bad input of every kind, the answer's clock on
the deadline engine, and the rebuild."""

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
from fusioncell.disputes import kinds, queries
from fusioncell.disputes.client import DisputesClient
from fusioncell.ledger.tables import log_entries
from fusioncell.projections import PROJECTED, rebuild
from tests.disputes.conftest import MakeMember

ACCOUNT_AR = "سقطت القذائف من جهة الغرب وأصيب مدنيان."
REQUEST_AR = "نطلب تحقيقاً مشتركاً."
ANSWER_HE = "כוחותינו לא ירו בגזרה זו באותה שעה."
PARTIES = ["IL", "SY", "US"]


def refused(status: int, call: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(ClientError) as e:
        call(*args, **kw)
    assert e.value.status == status, e.value.detail
    return e.value.detail


class World:
    def __init__(self, member: MakeMember) -> None:
        self.sy = member("SY", "sy-liaison")
        self.sy_head = member("SY", "sy-head", Role.HEAD_OF_DELEGATION)
        self.il = member("IL", "il-liaison")
        self.il_head = member("IL", "il-head", Role.HEAD_OF_DELEGATION)
        self.us = member("US", "us-supervisor", Role.SUPERVISOR)
        self.us_duty = member("US", "us-duty", Role.DUTY_OFFICER)
        self.jo = member("JO", "jo-liaison")

    def message(self, author: DisputesClient, parties: list[str], text: str, lang: str) -> int:
        tid, _ = author.open_thread("deescalation", "topic", lang, parties)
        return author.send(tid, text, lang).index

    def raise_(self, **kw: Any) -> str:
        cites = kw.pop("cites", None)
        if cites is None:
            cites = [self.message(self.il, PARTIES, "הודעה", "he")]
        did, _ = self.sy.raise_dispute(
            ["IL", "US"],
            "مصدر القصف",
            ACCOUNT_AR,
            REQUEST_AR,
            "ar",
            cites=cites,
            understanding=kw.pop("understanding", "security-arrangements"),
            **kw,
        )
        return did


@pytest.fixture
def w(member: MakeMember) -> World:
    return World(member)


def test_a_dispute_from_raising_to_resolution(cell: Cell, w: World) -> None:
    clock = cell.clock
    assert isinstance(clock, FrozenClock)
    cited = w.message(w.il, PARTIES, "הפגזה לא זוהתה", "he")
    did = w.raise_(cites=[cited])

    for c in (w.sy, w.il, w.us):
        [row] = c.disputes()
        assert row["id"] == did and row["stage"] == "raised" and row["party"] == "SY"
    view = w.il.dispute(did)
    assert view["answering"] == ["IL"] and view["sides"] == ["IL", "SY"]
    assert view["dispute"]["account"] == ACCOUNT_AR and view["dispute"]["lang"] == "ar"
    assert view["dispute"]["understanding"] == "security-arrangements"
    [cite] = view["cites"]
    assert cite["index"] == cited and cite["readable"] and cite["link"].startswith("/cell/t/")
    [owed] = view["answers_owed"]
    assert owed == {"party": "IL", "due": "2026-11-29T09:00:00.000Z", "missed": False}
    with cell.engine.connect() as c:
        clock_row = c.execute(select(deadlines).where(deadlines.c.kind == "dispute.answer")).one()
    assert clock_row.party == "IL" and clock_row.state == "open"

    clock.advance(timedelta(hours=10))
    refused(403, w.sy.answer, did, "أجيب نفسي", "ar")  # the raiser does not answer itself
    refused(403, w.us.answer, did, "The US answers", "en")  # the supervisor mediates
    refused(409, w.il.state, did, "עוד", "he")  # the other party answers first
    w.il.answer(did, ANSWER_HE, "he")
    refused(409, w.il_head.answer, did, "שוב", "he")
    with cell.engine.connect() as c:
        assert c.execute(select(deadlines.c.state)).scalar() == "met"
    assert w.sy.dispute(did)["dispute"]["stage"] == "answered"
    w.sy.state(did, "لدينا صور لبقايا القذائف.", "ar")
    w.il.state(did, "נשמח לראות אותן.", "he")

    clock.advance(timedelta(hours=2))
    refused(403, w.il.record_finding, did, "agreed", "a finding", "en")  # not the mediator
    refused(403, w.us_duty.open_mediation, did)  # the supervisor's role mediates
    refused(409, w.us.record_finding, did, "agreed", "too early", "en")
    w.us.open_mediation(did, "Mediation opened.", "en")
    refused(409, w.us.open_mediation, did)
    w.us.record_finding(did, "agreed", "Shells fell near the village.", "en")
    w.us.record_finding(did, "disputed", "Where the fire came from.", "en")
    w.us.record_finding(did, "finding", "No radar data was shared.", "en")
    first = w.us.propose(did, "A joint technical team examines the fragments.", "en").index
    w.sy_head.accept(did, first)
    refused(403, w.sy.accept, did, first)  # a liaison officer does not commit its party
    refused(403, w.us.accept, did, first)  # the supervisor proposes; the parties accept
    second = w.us.propose(did, "A joint team examines the fragments within 7 days.", "en").index
    detail = refused(409, w.il_head.accept, did, first)
    assert "superseded" in detail
    detail = refused(409, w.us.resolve, did, second)  # nobody has accepted the new one
    assert "IL, SY" in detail
    w.il_head.reject(did, second, "שבעה ימים אינם מספיקים.", "he")
    w.sy_head.accept(did, second)
    detail = refused(409, w.us.resolve, did, second)  # resolving a dispute not all accepted
    assert "every party has accepted" in detail and "IL" in detail
    refused(409, w.il_head.reject, did, second, "שוב", "he")
    w.il_head.accept(did, second)
    refused(409, w.il_head.accept, did, second)
    refused(409, w.us.resolve, did, first)  # a superseded proposal resolves nothing
    clock.advance(timedelta(hours=1))
    w.us.resolve(did, second, "Resolved in the cell.", "en")
    refused(409, w.sy.state, did, "بعد الحل", "ar")
    refused(409, w.sy.withdraw, did)

    view = w.us.dispute(did)
    d = view["dispute"]
    assert d["stage"] == "resolved" and d["proposal"] == second
    assert [(s["kind"], s["party"], s["lang"]) for s in view["statements"]] == [
        ("answer", "IL", "he"),
        ("statement", "SY", "ar"),
        ("statement", "IL", "he"),
    ]
    assert [f["finding"] for f in view["findings"]] == ["agreed", "disputed", "finding"]
    p1, p2 = view["proposals"]
    assert (p1["current"], p2["current"]) == (False, True)
    assert p1["now"] == {"SY": True}
    assert p2["now"] == {"IL": True, "SY": True}
    assert [(r["party"], r["accepted"]) for r in p2["responses"]] == [
        ("IL", False),
        ("SY", True),
        ("IL", True),
    ]
    assert p2["responses"][0]["reason"] == "שבעה ימים אינם מספיקים."
    assert [s["stage"] for s in view["stages"]] == [
        "raised",
        "answered",
        "in_mediation",
        "resolved",
    ]
    assert [s["seconds"] for s in view["stages"]] == [10 * 3600, 2 * 3600, 3600, None]
    assert view["time_in_stage"] == {"raised": 36000, "answered": 7200, "in_mediation": 3600}
    assert view["final"] and view["answers_owed"] == []
    assert [r["id"] for r in w.il.disputes(stage="resolved")] == [did]
    assert w.il.disputes(stage="raised") == []
    assert [r["id"] for r in w.il.disputes(understanding="security-arrangements")] == [did]
    assert [r["id"] for r in w.il.disputes(entry=cited)] == [did]


def test_withdrawn_and_referred_take_no_more_steps(cell: Cell, w: World) -> None:
    did = w.raise_()
    refused(403, w.il.withdraw, did)  # only the raiser withdraws
    w.sy.withdraw(did, "سُحب بعد توضيح.", "ar")
    for call, args in [
        (w.il.answer, (did, "מאוחר", "he")),
        (w.sy.state, (did, "بعد السحب", "ar")),
        (w.us.open_mediation, (did,)),
        (w.sy.withdraw, (did,)),
        (w.il.refer, (did, "next_round", "later", "en")),
    ]:
        assert "withdrawn" in refused(409, call, *args)
    with cell.engine.connect() as c:
        assert c.execute(select(deadlines.c.state)).scalar() == "cancelled"

    other = w.raise_()
    w.il.answer(other, ANSWER_HE, "he")
    w.il_head.refer(other, "next_round", "נדון בסבב הבא.", "he")
    refused(409, w.us.open_mediation, other)
    who = w.us.author
    from fusioncell.authz import Principal

    us = Principal(who.party, who.member, Role.SUPERVISOR)
    rows = queries.referred_to_next_round(cell, us)
    assert [(r["id"], r["stage"], r["party"]) for r in rows] == [(other, "referred", "SY")]
    assert {"id", "title", "stage", "party", "raised_at"} <= rows[0].keys()
    about = queries.about_understanding(cell, us, "security-arrangements")
    assert {r["id"] for r in about} == {did, other}
    assert queries.about_understanding(cell, us, "disagreements") == []
    view = w.sy.dispute(other)
    assert view["stages"][-1]["referred_to"] == "next_round"
    assert view["stages"][-1]["lang"] == "he"


def test_a_party_outside_the_dispute_sees_nothing(cell: Cell, w: World) -> None:
    did = w.raise_()
    assert w.jo.disputes() == []
    missing = refused(404, w.jo.dispute, did)
    assert missing == refused(404, w.jo.dispute, "no-such-dispute")
    refused(404, w.jo.evidence, did)
    # Writing to it as JO: the same answer as for a dispute that does not exist.
    w.jo._dispute_parties[did] = w.jo._dispute_parties["no-such-dispute"] = [
        "IL", "JO", "SY", "US"
    ]  # fmt: skip
    assert refused(404, w.jo.answer, did, "نحن أيضاً", "ar") == refused(
        404, w.jo.answer, "no-such-dispute", "x", "en"
    )
    # JO's own dispute with IL and the US: SY is outside it.
    mine, _ = w.jo.raise_dispute(["IL", "US"], "Water", "An account", "Asks", "en",
                                 understanding="disagreements")  # fmt: skip
    assert [r["id"] for r in w.il.disputes()] == [mine, did]
    refused(404, w.sy.dispute, mine)


def test_citing_a_hidden_entry_is_refused_as_missing(cell: Cell, w: World) -> None:
    hidden = w.message(w.il, ["IL", "US"], "רק לארה״ב", "he")  # SY may not read it
    size = cell.ledger.size()
    as_hidden = refused(404, w.raise_, cites=[hidden])
    as_missing = refused(404, w.raise_, cites=[size + 50])
    assert as_hidden.replace(str(hidden), "N") == as_missing.replace(str(size + 50), "N")
    assert as_hidden == f"no such entry {hidden}"
    # The same answer from the API that prefills the form.
    r1 = w.sy.http.get(f"/api/v1/disputes/citable/{hidden}", headers=w.sy.headers)
    r2 = w.sy.http.get(f"/api/v1/disputes/citable/{size + 50}", headers=w.sy.headers)
    assert r1.status_code == r2.status_code == 404
    assert r1.json()["detail"].replace(str(hidden), "N") == r2.json()["detail"].replace(
        str(size + 50), "N"
    )
    # The supervisor sees all: an IL-US entry is IL's to cite, and shown to the US.
    assert w.il.citable(hidden)["readable"]
    # SY cites an entry SY and the US share: IL, a party of the dispute, sees only its index.
    shared = w.message(w.sy, ["SY", "US"], "لكم فقط", "ar")
    did = w.raise_(cites=[shared])
    [c] = w.il.dispute(did)["cites"]
    assert c == {"index": shared, "readable": False, "kind": None, "time": None, "link": None}
    [c] = w.us.dispute(did)["cites"]
    assert c["readable"] and c["kind"] == "cell.message.posted"


def test_the_answer_missed_is_the_engines_breach(cell: Cell, w: World) -> None:
    did = w.raise_()
    engine = DeadlineEngine(cell, schedules=[])
    assert isinstance(cell.clock, FrozenClock)
    cell.clock.advance(timedelta(hours=71))
    assert engine.run_due() == 0
    cell.clock.advance(timedelta(hours=1))
    assert engine.run_due() >= 1  # missed, and IMMEDIATE's step to IL's head of delegation
    with cell.engine.connect() as c:
        rows = c.execute(
            select(log_entries.c.kind, log_entries.c.visibility).where(
                log_entries.c.kind.like("system.%")
            )
        ).all()
    assert ("system.deadline.missed", ",IL,SY,US,") in [tuple(r) for r in rows]
    assert ("system.escalation.notified", ",IL,SY,US,") in [tuple(r) for r in rows]
    [owed] = w.sy.dispute(did)["answers_owed"]
    assert owed["party"] == "IL" and owed["missed"]
    # A late answer is still taken.
    w.il.answer(did, ANSWER_HE, "he")
    assert w.sy.dispute(did)["dispute"]["stage"] == "answered"


def test_who_may_raise(w: World, member: MakeMember) -> None:
    refused(403, w.us.raise_dispute, ["IL", "SY"], "t", "a", "r", "en",
            understanding="disagreements")  # fmt: skip
    duty = member("SY", "sy-duty", Role.DUTY_OFFICER)
    refused(403, duty.raise_dispute, ["IL", "US"], "t", "a", "r", "en",
            understanding="disagreements")  # fmt: skip


def raw(c: DisputesClient, kind: str, did: str, body: dict[str, Any], vis: list[str]) -> str:
    return refused(400, c.post, kind, kinds.subject(did), vis, body)


GOOD: dict[str, Any] = {
    "dispute": "disp-0001",
    "parties": PARTIES,
    "title": "Crossing closed",
    "account": "The crossing was closed without notice.",
    "request": "Reopen it.",
    "lang": "en",
    "cites": [],
    "understanding": "disagreements",
}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"understanding": "nope"}, "unknown understanding"),
        ({"understanding": 5}, "unknown understanding"),
        ({"understanding": None, "cites": []}, "unknown understanding"),
        ({"title": "abc\u202edef"}, "bidi control"),
        ({"account": "a\u2066b"}, "bidi control"),
        ({"title": "x" * 201}, "longer than"),
        ({"account": "x" * 8001}, "longer than"),
        ({"request": "   "}, "request is empty"),
        ({"account": 5}, "account must be a string"),
        ({"title": "a\x07b"}, "control character"),
        ({"lang": "fr"}, "language must be one of"),
        ({"cites": [3, 2]}, "sorted list"),
        ({"cites": [1, 1]}, "sorted list"),
        ({"cites": ["1"]}, "log index"),
        ({"cites": [True]}, "log index"),
        ({"cites": [-1]}, "log index"),
        ({"cites": 1}, "cites is a list"),
        ({"cites": list(range(1, 30))}, "at most 20"),
        ({"parties": ["IL", "SY"]}, "supervisor"),
        ({"parties": ["SY", "IL", "US"]}, "sorted list"),
        ({"parties": ["SY", "US", "ZZ"]}, "unknown party"),
        ({"parties": ["SY", "US"]}, "other party"),
        ({"parties": "IL,SY,US"}, "sorted list"),
        ({"dispute": "BAD_ID_X"}, "dispute id"),
        ({"extra": 1}, "unknown fields"),
    ],
)
def test_bad_disputes_are_refused_clearly(w: World, change: dict[str, Any], says: str) -> None:
    body = {**GOOD, **change}
    if change.get("understanding", "") is None:
        del body["understanding"]
        says = "at least one entry"
    vis = body["parties"] if isinstance(body["parties"], list) else PARTIES
    if vis != sorted(set(vis)) or any(p not in {"IL", "SY", "US", "JO"} for p in vis):
        vis = PARTIES
    detail = raw(w.sy, kinds.RAISED, str(body["dispute"]), body, vis)
    assert says in detail, detail


def test_bad_entries_on_a_dispute(w: World) -> None:
    w.sy.post(kinds.RAISED, kinds.subject("disp-0001"), PARTIES, GOOD)
    w.us.open_mediation("disp-0001")
    p = w.us.propose("disp-0001", "A proposal", "en").index
    d = {"dispute": "disp-0001"}
    for kind, body, says in [
        (kinds.ANSWERED, {**d, "text": "", "lang": "en"}, "text is empty"),
        (kinds.ANSWERED, {**d, "text": "x"}, "lacks lang"),
        (kinds.FINDING, {**d, "finding": "maybe", "text": "x", "lang": "en"}, "finding must be"),
        (kinds.ACCEPTED, {**d, "proposal": "7"}, "log index"),
        (kinds.ACCEPTED, {**d, "proposal": 7.0}, "log index"),
        (kinds.ACCEPTED, {**d, "proposal": p, "reason": "x"}, "unknown fields"),
        (kinds.REJECTED, {**d, "proposal": p}, "lacks lang, reason"),
        (kinds.REFERRED, {**d, "to": "the_un", "reason": "x", "lang": "en"}, "to must be"),
        (kinds.RESOLVED, {**d, "proposal": p, "text": "x"}, "language"),
        (kinds.MEDIATION, {**d, "text": "a\u202eb", "lang": "en"}, "bidi"),
    ]:
        author = w.us if kind in (kinds.FINDING, kinds.RESOLVED, kinds.MEDIATION) else w.il_head
        assert says in raw(author, kind, "disp-0001", body, PARTIES), (kind, body)
    # Subject and visibility must match the dispute.
    body = {**d, "text": "x", "lang": "en"}
    assert "subject" in raw(w.il, kinds.ANSWERED, "disp-0002", body, PARTIES)
    assert "visibility" in raw(w.il, kinds.ANSWERED, "disp-0001", body, ["IL", "SY", "US", "JO"])
    refused(409, w.sy.post, kinds.RAISED, kinds.subject("disp-0001"), PARTIES, GOOD)
    refused(409, w.il_head.accept, "disp-0001", p + 100)  # no such proposal: not current


def test_the_api_refuses_bad_reads(w: World) -> None:
    did = w.raise_()
    h, http = w.sy.headers, w.sy.http
    for path, status in [
        ("?stage=done", 400),
        ("?stage=" + "x" * 30, 400),
        ("?entry=-1", 400),
        ("?entry=x", 400),
        ("/BAD!", 400),
        ("/nosuchdispute", 404),
        ("/nosuchdispute/evidence", 404),
        ("/citable/-3", 400),
        ("/citable/99999", 404),
    ]:
        r = http.get("/api/v1/disputes" + path, headers=h)
        assert r.status_code == status, (path, r.text)
        assert r.json()["detail"]
    assert http.get(f"/api/v1/disputes/{did}", headers=h).status_code == 200
    r = http.get("/api/v1/disputes", headers={"accept": "application/json"})
    assert r.status_code == 401


def _snapshot(cell: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with cell.engine.connect() as c:
        for t in PROJECTED:
            if t.name.startswith("dispute") or t.name == "deadlines":
                rows = c.execute(select(t)).mappings().all()
                out[t.name] = sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in rows)
    return out


def test_rebuild_gives_the_same_tables(cell: Cell, w: World) -> None:
    did = w.raise_()
    w.il.answer(did, ANSWER_HE, "he")
    w.us.open_mediation(did)
    w.us.record_finding(did, "agreed", "Fact", "en")
    p = w.us.propose(did, "Proposal", "en").index
    w.sy_head.accept(did, p)
    w.il_head.reject(did, p, "לא", "he")
    other = w.raise_()
    w.sy.withdraw(other)
    third = w.raise_()
    w.us.refer(third, "heads_of_delegation", "To the heads.", "en")
    live = _snapshot(cell)
    assert live["disputes"] and live["dispute_responses"] and live["dispute_stages"]
    rebuild(cell)
    assert _snapshot(cell) == live
