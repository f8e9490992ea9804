"""Intelligence sharing through the real app: reports and their releasability, tear lines,
originator control, corrections, assessments, openings, STIX export and requests for
information with their deadlines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import stix2
from fastapi.testclient import TestClient
from sqlalchemy import select

from fusioncell.cell import Cell
from fusioncell.client import ClientError
from fusioncell.clock import FrozenClock
from fusioncell.deadlines.engine import DeadlineEngine
from fusioncell.deadlines.tables import deadlines
from fusioncell.intel import kinds
from fusioncell.intel.client import IntelClient
from fusioncell.projections import PROJECTED, rebuild
from tests.intel.conftest import MakeMember, at, issue

ALL = ["IL", "SY", "US"]


@pytest.fixture
def il(member: MakeMember) -> IntelClient:
    return member("IL", "il-liaison")


@pytest.fixture
def sy(member: MakeMember) -> IntelClient:
    return member("SY", "sy-liaison")


@pytest.fixture
def us(member: MakeMember) -> IntelClient:
    return member("US", "us-supervisor")


def refused(status: int, call: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(ClientError) as e:
        call(*args, **kw)
    assert e.value.status == status, e.value.detail
    return e.value.detail


def test_released_to_the_supervisor_only(il: IntelClient, sy: IntelClient, us: IntelClient) -> None:
    issue(il, "convoy-001", ["IL", "US"], places=[{"type": "Point", "coordinates": [35.7, 33.1]}])
    head = us.report("convoy-001")
    assert head["releasability"] == ["IL", "US"] and head["grading"]["code"] == "B2"
    assert "body" not in head  # the body is read (and recorded) apart
    assert [r["id"] for r in us.reports()] == ["convoy-001"]
    # The other party: the same 404 as a report that does not exist, everywhere.
    for call in (sy.report, sy.body, sy.stix, sy.openings):
        assert refused(404, call, "convoy-001") == refused(404, call, "no-such-report")
    assert sy.reports() == []
    # ... and nothing of it in the log either.
    size = sy.checkpoint()[0].size
    assert all(e["entry"] is None for e in sy.entries(size - 1, size))


def test_tear_line_shares_a_summary_and_says_something_was_withheld(
    il: IntelClient, sy: IntelClient, us: IntelClient
) -> None:
    issue(il, "convoy-002", ["IL", "US"])
    il.release_summary(
        "convoy-002",
        title="Movement near the line",
        text="Vehicles moved north.",
        lang="en",
        to=ALL,
    )
    (seen,) = sy.reports()
    assert seen["withheld"] is True and seen["summary"] == "Vehicles moved north."
    assert sy.report("convoy-002")["withheld"] is True
    assert "body" not in str(sy.report("convoy-002"))
    refused(403, sy.body, "convoy-002")
    refused(403, sy.stix, "convoy-002")
    assert us.report("convoy-002")["tear_line"]["text"] == "Vehicles moved north."
    # A tear line is wider than the report, and only its originator releases one.
    issue(il, "convoy-003", ["IL", "US"])
    assert "more widely" in refused(
        400, il.release_summary, "convoy-003", title="t", text="x", lang="en", to=["IL", "US"]
    )
    assert "originator control" in refused(
        403, us.release_summary, "convoy-003", title="t", text="x", lang="en", to=ALL
    )


def test_originator_control_on_widening(il: IntelClient, sy: IntelClient, us: IntelClient) -> None:
    issue(il, "convoy-004", ["IL", "US"])
    # The supervisor sees it but may not forward it; SY does not even see it.
    assert "originator control" in refused(403, us.widen, "convoy-004", ALL)
    refused(404, sy.widen, "convoy-004", ALL)
    refused(404, sy.body, "convoy-004")
    # Narrowing is not widening.
    il.widen("convoy-004", ALL)
    refused(400, il.widen, "convoy-004", ["IL", "US"])
    assert sy.report("convoy-004")["withheld"] is False
    assert sy.body("convoy-004")["versions"][0]["body"].startswith("Full detail")
    releases = il.report("convoy-004")["releases"]
    assert [(r["what"], r["parties"]) for r in releases] == [
        ("issued", ["IL", "US"]),
        ("widened", ALL),
    ]


def test_a_widened_release_carries_the_version_the_new_party_can_verify(
    il: IntelClient, sy: IntelClient
) -> None:
    issued = issue(il, "convoy-005", ["IL", "US"])
    il.correct(
        "convoy-005",
        title="Convoy near the line",
        summary="Four trucks, not three.",
        body="Full detail, corrected: four trucks.",
        lang="en",
        window=(at(-6), at(-1)),
        grading="B1",
    )
    full = il.body("convoy-005")
    v = full["versions"][-1]
    content = {k: v[k] for k in ("title", "summary", "body", "lang", "window")}
    content["grading"] = {"source": "B", "info": 1}

    def widen(version: int, text: dict[str, Any]) -> Any:
        body = {"report": "convoy-005", "releasability": ALL, "version": version, "content": text}
        return il.post(kinds.WIDENED, "intel/convoy-005", ALL, body)

    # Only the current version, exactly as signed, may be released: nothing else is written.
    assert "current version is 2" in refused(409, widen, 1, content)
    assert "exactly" in refused(400, widen, 2, content | {"body": "Something else."})
    refused(400, widen, 2, {**content, "report": "convoy-005"})
    refused(404, sy.report, "convoy-005")
    got = widen(2, content)
    # SY cannot read the entries written before it was released to ...
    size = sy.checkpoint()[0].size
    seen = {e["index"]: e for e in sy.entries(issued, size)}
    assert seen[issued]["body"] is None
    # ... but the widening itself, signed by IL, gives it the corrected text to verify.
    body = seen[got.index]["body"]
    assert body["version"] == 2
    assert body["content"]["body"] == "Full detail, corrected: four trucks."
    assert sy.body("convoy-005")["versions"][-1]["body"] == body["content"]["body"]


def test_corrections_are_new_versions(il: IntelClient, sy: IntelClient, us: IntelClient) -> None:
    issue(il, "convoy-005", ALL)
    il.correct(
        "convoy-005",
        title="Convoy near the line (corrected)",
        summary="Four trucks, not three.",
        body="Corrected detail.",
        lang="en",
        window=(at(-6), at(-1)),
        grading="B1",
    )
    head = sy.report("convoy-005")
    assert head["version"] == 2 and head["grading"]["code"] == "B1"
    assert [v["title"] for v in head["versions"]] == [
        "Convoy near the line",
        "Convoy near the line (corrected)",
    ]
    bodies = [v["body"] for v in sy.body("convoy-005")["versions"]]
    assert bodies == ["Full detail: source, route, times.", "Corrected detail."]
    assert "assess it instead" in refused(
        403,
        sy.correct,
        "convoy-005",
        title="x",
        summary="x",
        body="x",
        lang="en",
        window=(at(-1), at(0)),
        grading="A1",
    )


def test_assessments(il: IntelClient, sy: IntelClient, us: IntelClient) -> None:
    issue(il, "convoy-006", ALL)
    sy.assess("convoy-006", "disputed", "C3", "مصادرنا لا تؤكد ذلك", "ar")
    us.assess("convoy-006", "corroborated", "A2", "Seen by imagery.", "en")
    got = il.report("convoy-006")["assessments"]
    assert [(a["party"], a["assessment"], a["grading"]["code"], a["lang"]) for a in got] == [
        ("SY", "disputed", "C3", "ar"),
        ("US", "corroborated", "A2", "en"),
    ]
    assert il.reports()[0]["assessments"] == {"disputed": 1, "corroborated": 1}
    assert "originator corrects" in refused(
        403, il.assess, "convoy-006", "corroborated", "A1", "x", "en"
    )
    refused(400, sy.assess, "convoy-006", "confirmed", "A1", "x", "en")
    refused(400, sy.assess, "convoy-006", "outdated", "G1", "x", "en")
    issue(il, "convoy-007", ["IL", "US"])
    refused(404, sy.assess, "convoy-007", "outdated", "A1", "x", "en")


def test_openings_are_recorded_and_shown_to_the_originator(
    il: IntelClient, sy: IntelClient, us: IntelClient, member: MakeMember, clock: FrozenClock
) -> None:
    issue(il, "convoy-008", ALL)
    assert il.openings("convoy-008") == []
    sy.report("convoy-008")  # the head is not an opening
    sy.body("convoy-008")
    clock.advance(timedelta(minutes=5))
    us.stix("convoy-008")
    sy.body("convoy-008")
    got = [(o["party"], o["member"], o["what"], o["time"]) for o in il.openings("convoy-008")]
    assert got == [
        ("SY", "sy-liaison", "body", at(0)),
        ("US", "us-supervisor", "stix", at(5 / 60)),
        ("SY", "sy-liaison", "body", at(5 / 60)),
    ]
    # Another member of the originating party sees them; no other party does.
    assert len(member("IL", "il-duty").openings("convoy-008")) == 3
    refused(403, sy.openings, "convoy-008")
    refused(403, us.openings, "convoy-008")


def test_a_body_read_in_the_log_or_through_a_translation_is_an_opening(
    il: IntelClient, sy: IntelClient, us: IntelClient
) -> None:
    """The log's entries (where a verifier reads bodies) and a translation of the body
    open the report like its page does; the title's translation, what a party cannot
    read, and the originator's own client reading back what it appended do not."""
    first = issue(il, "convoy-040", ALL)
    sy.entries(first, first + 1)
    for asked in ([f"{first}:body", f"{first}:title"], [f"{first}:title"]):
        got = sy.http.get(
            "/api/v1/translations", params={"to": "ar", "t": asked}, headers=sy.headers
        )
        assert got.status_code == 200, got.text
    hidden = issue(il, "convoy-041", ["IL", "US"])
    sy.entries(hidden, hidden + 1)  # hidden from SY: no body given, no opening
    assert [(o["party"], o["what"], o["version"]) for o in il.openings("convoy-040")] == [
        ("SY", "log", 1),
    ]
    other = issue(il, "convoy-042", ALL)  # read translated before it is opened
    got = us.http.get(
        "/api/v1/translations", params={"to": "ar", "t": [f"{other}:body"]}, headers=us.headers
    )
    assert got.status_code == 200, got.text
    assert [(o["party"], o["what"]) for o in il.openings("convoy-042")] == [("US", "translation")]
    assert il.openings("convoy-041") == []
    # A widening carries the version current when it was signed: reading it opens that one.
    widened = il.widen("convoy-041", ALL).index
    sy.entries(widened, widened + 1)
    assert [(o["party"], o["what"], o["version"]) for o in il.openings("convoy-041")] == [
        ("IL", "body", 1),  # the originator's client reads the version it widens
        ("SY", "log", 1),
    ]


def test_stix_export(il: IntelClient, us: IntelClient) -> None:
    square = [[35.0, 33.0], [35.1, 33.0], [35.1, 33.1], [35.0, 33.1], [35.0, 33.0]]
    issue(
        il,
        "convoy-009",
        ["IL", "US"],
        grading="B2",
        places=[
            {"type": "Point", "coordinates": [35.7, 33.1]},
            {"type": "Polygon", "coordinates": [square]},
        ],
    )
    raw = us.stix("convoy-009")
    b = stix2.parse(raw, allow_custom=True)
    by_type: dict[str, list[Any]] = {}
    for o in b.objects:
        by_type.setdefault(o.type, []).append(o)
    (report,) = by_type["report"]
    (marking,) = by_type["marking-definition"]
    assert report.spec_version == "2.1" and report.name == "Convoy near the line"
    assert report.confidence == 70 and report.x_fusioncell_admiralty == "B2"
    assert marking.id in report.object_marking_refs
    assert marking.name == "REL TO IL, US" and "IL" in marking.definition.statement
    locs = by_type["location"]
    assert len(locs) == 2 and {round(loc.latitude, 2) for loc in locs} == {33.1, 33.05}
    assert all(
        marking.id in o.object_marking_refs for o in b.objects if o.type != "marking-definition"
    )


def test_requests_for_information(
    cell: Cell, il: IntelClient, sy: IntelClient, us: IntelClient, clock: FrozenClock
) -> None:
    sy.request("rfi-convoy-1", "IL", "ما هي وجهة القافلة؟", "ar")
    (r,) = il.rfis()
    assert r["status"] == "open" and r["due"] == at(72) and r["from"] == "SY"
    assert us.rfi("rfi-convoy-1")["status"] == "open"  # the supervisor sees it
    with cell.engine.connect() as c:
        d = c.execute(select(deadlines).where(deadlines.c.key == "rfi:rfi-convoy-1")).one()
    assert d.kind == kinds.RFI_DEADLINE and d.party == "IL" and d.state == "open"
    # Answered by a report the asker may read; only by the party asked.
    issue(il, "convoy-010", ["IL", "US"])
    assert "not released to the requesting party SY" in refused(
        400, il.answer, "rfi-convoy-1", "convoy-010"
    )
    refused(403, sy.answer, "rfi-convoy-1", "convoy-010")
    issue(il, "convoy-011", ALL)
    il.answer("rfi-convoy-1", "convoy-011")
    for c in (il, sy, us):
        got = c.rfi("rfi-convoy-1")
        assert got["status"] == "answered" and got["answer"]["report"] == "convoy-011"
    assert "answered already" in refused(409, il.answer, "rfi-convoy-1", "convoy-011")
    assert il.report("convoy-011")["answers"] == ["rfi-convoy-1"]
    with cell.engine.connect() as c:
        assert (
            c.execute(
                select(deadlines.c.state).where(deadlines.c.key == "rfi:rfi-convoy-1")
            ).scalar()
            == "met"
        )


def test_an_unanswered_request_is_missed(
    cell: Cell, il: IntelClient, sy: IntelClient, clock: FrozenClock
) -> None:
    sy.request("rfi-convoy-2", "IL", "Where to?", "en", urgency="IMMEDIATE", due=at(2))
    clock.advance(timedelta(hours=2))
    assert sy.rfi("rfi-convoy-2")["status"] == "overdue"
    assert DeadlineEngine(cell).run_due() >= 1  # the missed entry, and escalation steps
    assert sy.rfi("rfi-convoy-2")["deadline"] != "open"
    # Answering late is still an answer.
    issue(il, "convoy-012", ALL)
    il.answer("rfi-convoy-2", "convoy-012")
    assert sy.rfi("rfi-convoy-2")["status"] == "answered"


def test_requests_refused(il: IntelClient, sy: IntelClient, member: MakeMember) -> None:
    assert "72 hours" in refused(400, sy.request, "rfi-bad-0001", "IL", "q", "en", due=at(73))
    refused(400, sy.request, "rfi-bad-0002", "IL", "q", "en", due=at(-1))
    refused(400, sy.request, "rfi-bad-0003", "SY", "q", "en")
    refused(400, sy.request, "rfi-bad-0004", "XX", "q", "en", visibility=["SY", "US"])
    refused(400, sy.request, "rfi-bad-0005", "IL", "q", "en", visibility=["IL", "SY"])
    refused(400, sy.request, "rfi-bad-0006", "IL", "q", "en", urgency="SOON")
    sy.request("rfi-ok-00001", "IL", "q", "en")
    refused(409, sy.request, "rfi-ok-00001", "IL", "q", "en")
    refused(404, il.answer, "rfi-ok-00001", "no-such-report")
    refused(404, il.rfi, "no-such-rfi")


SQUARE = [[35.0, 33.0], [35.1, 33.0], [35.1, 33.1], [35.0, 33.1], [35.0, 33.0]]
BOWTIE = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"window": (at(0), at(-1))}, 400, "ends before it starts"),
        ({"window": ("yesterday", at(0))}, 400, "RFC 3339"),
        ({"grading": "G2"}, 400, "A to F"),
        ({"grading": "A7"}, 400, "1 to 6"),
        ({"grading": "A0"}, 400, "1 to 6"),
        ({"grading": "a1"}, 400, "A to F"),
        # The log itself refuses a visibility naming an unknown party (bad input: 400).
        ({"releasability": ["IL", "US", "XX"]}, 400, "unknown parties XX"),
        ({"releasability": ["US", "IL"]}, 400, "sorted"),
        ({"releasability": ["IL"]}, 400, "supervisor"),
        ({"releasability": ["SY", "US"]}, 403, "author's party IL"),
        ({"places": [{"type": "Point", "coordinates": [200, 10]}]}, 400, "out of range"),
        ({"places": [{"type": "Point", "coordinates": [35, -91]}]}, 400, "out of range"),
        ({"places": [{"type": "Point", "coordinates": [35]}]}, 400, "[longitude, latitude]"),
        ({"places": [{"type": "Polygon", "coordinates": [SQUARE[:-1]]}]}, 400, "end where"),
        ({"places": [{"type": "Polygon", "coordinates": [BOWTIE]}]}, 400, "not a valid"),
        ({"places": [{"type": "LineString", "coordinates": SQUARE}]}, 400, "Point or Polygon"),
        ({"places": {"type": "Point"}}, 400, "places is a list"),
        ({"title": "bad \u202e title"}, 400, "U+202E"),
        ({"lang": "fr"}, 400, "language"),
        ({"body": "   "}, 400, "body is empty"),
        (
            {"attachments": [{"sha256": "0" * 64, "name": "a", "type": "t", "size": 1}]},
            404,
            "no uploaded",
        ),
    ],
)
def test_bad_reports_are_refused(
    il: IntelClient, fields: dict[str, Any], status: int, says: str
) -> None:
    fields = dict(fields)  # shared by the SQLite and PostgreSQL runs
    detail = refused(
        status, issue, il, "convoy-bad-1", fields.pop("releasability", ["IL", "US"]), **fields
    )
    assert says in detail
    assert il.reports() == []


def test_bad_bodies_at_the_log(il: IntelClient) -> None:
    good = {
        "report": "convoy-raw-1",
        "title": "t",
        "summary": "s",
        "body": "b",
        "lang": "en",
        "window": {"start": at(0), "end": at(1)},
        "grading": {"source": "A", "info": 1},
        "releasability": ["IL", "US"],
    }
    subj = kinds.report_subject("convoy-raw-1")
    assert "unknown fields" in refused(
        400, il.post, kinds.ISSUED, subj, ["IL", "US"], {**good, "x": 1}
    )
    assert "visibility" in refused(400, il.post, kinds.ISSUED, subj, ["IL", "SY", "US"], good)
    assert "subject" in refused(400, il.post, kinds.ISSUED, "intel/other-one", ["IL", "US"], good)
    refused(400, il.post, kinds.ISSUED, subj, ["IL", "US"], {**good, "report": "BAD"})
    refused(
        400,
        il.post,
        kinds.ISSUED,
        subj,
        ["IL", "US"],
        {**good, "grading": {"source": "A", "info": True}},
    )
    summary = {"report": "convoy-raw-1", "title": "t", "text": "x", "lang": "en", "withheld": False}
    il.post(kinds.ISSUED, subj, ["IL", "US"], good)
    assert "withheld" in refused(400, il.post, kinds.SUMMARY, subj, ALL, summary)
    refused(409, il.post, kinds.ISSUED, subj, ["IL", "US"], good)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/reports/BAD!", 400),
        ("/reports/x", 400),
        ("/reports/no-such-report", 404),
        ("/reports/no-such-report/body", 404),
        ("/reports/no-such-report/stix", 404),
        ("/reports/no-such-report/openings", 404),
        ("/rfis/no-such-rfi", 404),
        ("/rfis/" + "a" * 40, 400),
    ],
)
def test_api_refusals(http: TestClient, il: IntelClient, path: str, status: int) -> None:
    r = http.get("/api/v1/intel" + path, headers=il.headers)
    assert r.status_code == status, r.text
    assert http.get("/api/v1/intel" + path).status_code == 401


def test_rebuild_equals_live(cell: Cell, il: IntelClient, sy: IntelClient, us: IntelClient) -> None:
    issue(il, "convoy-020", ["IL", "US"])
    il.release_summary("convoy-020", title="t", text="x", lang="en", to=ALL)
    # 35.0 is written 35 in the log's canonical JSON: the projection must not care.
    issue(il, "convoy-021", ALL, places=[{"type": "Point", "coordinates": [35.0, 33.5]}])
    il.correct(
        "convoy-021",
        title="t2",
        summary="s2",
        body="b2",
        lang="en",
        window=(at(0), at(1)),
        grading="C3",
    )
    sy.assess("convoy-021", "outdated", "B3", "old", "en")
    il.widen("convoy-020", ALL)
    sy.request("rfi-rebuild-1", "IL", "q", "en")
    il.answer("rfi-rebuild-1", "convoy-021")
    sy.body("convoy-021")

    def snap() -> dict[str, Any]:
        with cell.engine.connect() as c:
            return {
                t.name: sorted(str(sorted(r.items())) for r in c.execute(select(t)).mappings())
                for t in PROJECTED
                if t.name.startswith("intel_") or t.name == "deadlines"
            }

    live = snap()
    assert live["intel_versions"] and live["intel_rfis"]
    rebuild(cell)
    assert snap() == live
    assert len(il.openings("convoy-021")) == 1  # openings are not projections: they stay


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_attachments(il: IntelClient, sy: IntelClient, us: IntelClient) -> None:
    att = il.upload(PDF, "photo-map.pdf")
    issue(il, "convoy-030", ["IL", "US"], attachments=[att])
    assert us.report("convoy-030")["attachments"] == [att]
    assert us.file("convoy-030", att["sha256"]) == PDF
    assert [o["what"] for o in il.openings("convoy-030")] == ["file"]
    # Not released to SY: the file is as hidden as the report.
    refused(404, sy.file, "convoy-030", att["sha256"])
    # Another party's upload cannot be pulled into one's report by its hash.
    theirs = sy.upload(b"%PDF-1.4\nsy only\n%%EOF\n", "sy.pdf")
    refused(404, issue, il, "convoy-031", ["IL", "US"], attachments=[theirs])
    # A file is served only through a report it is attached to.
    issue(il, "convoy-032", ["IL", "SY", "US"])
    refused(404, sy.file, "convoy-032", att["sha256"])
    refused(400, sy.file, "convoy-032", "not-a-hash")
