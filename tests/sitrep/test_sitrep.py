"""The situation report through the API, the page and the PDF: what each party's view
holds (and never more), charts equal to the items listed, the checkpoint it rests on with
its cosignatures, the PDF's Arabic and Hebrew, and bad requests answered 400 or 404."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.clock import FrozenClock, parse_rfc3339
from fusioncell.deadlines.engine import DeadlineEngine
from fusioncell.deesc.tables import deesc_incidents
from fusioncell.ledger.canonical import b64e
from fusioncell.ledger.note import cosign, open_checkpoint, split_note
from fusioncell.sitrep.report import MAX_DAYS
from fusioncell.statements import pdf as statements_pdf
from tests.ledger.helpers import add_witness
from tests.sitrep.conftest import T0, MakeMember, Member, at
from tests.web.test_i18n import workstreams

PERIOD = {"from": "2026-11-24", "to": "2026-11-26"}
PARTIES = ["IL", "SY", "US"]
DRONE_AR = "طائرة مسيّرة فوق الطريق الشمالي"
SHELLING_HE = "הפגזה ליד הגדר"
HIDDEN_AR = "حادث لا يطّلع عليه إلا الطرفان"
HIDDEN = 10**6  # the index of the incident only SY and US may read


@dataclass
class Scene:
    us: Member  # the supervisor
    il: Member  # Israel's head of delegation (reads the board)
    sy: Member  # Syria's head of delegation
    il_liaison: Member  # reads no board
    drone: int
    shelling: int
    sy_us_message: int


def _hidden_incident(cell: Cell) -> None:
    """An incident only SY and US may read. The cell writes incidents visible to every
    party today (deesc's projector refuses others), so the row stands for one a charter
    might restrict: the report must filter it like any other, counts and charts included."""
    with cell.engine.begin() as c:
        c.execute(
            insert(deesc_incidents).values(
                idx=HIDDEN,
                party="SY",
                member="sy-liaison",
                reported=at(-3),
                at=at(-3),
                at_precision="minute",
                place=json.dumps({"type": "Point", "coordinates": [35.9, 33.1]}),
                place_precision_m=100,
                category="incursion",
                actors="[]",
                casualties=None,
                description=HIDDEN_AR,
                lang="ar",
                sources="[]",
                visibility=",SY,US,",
            )
        )


@pytest.fixture
def scene(cell: Cell, clock: FrozenClock, member: MakeMember) -> Scene:
    workstreams(cell)  # the demo's: an incident (shelling, T0 - 5 h), two notices, a dispute
    us = member("US", "us-supervisor", Role.SUPERVISOR)
    il = member("IL", "il-head", Role.HEAD_OF_DELEGATION)
    sy = member("SY", "sy-head", Role.HEAD_OF_DELEGATION)
    il_liaison = member("IL", "il-liaison")
    sy_liaison = member("SY", "sy-liaison")
    point = {"type": "Point", "coordinates": [35.86, 33.12]}
    drone = sy_liaison.deesc.report_incident(
        time=at(-30), place=point, category="drone", description=DRONE_AR, lang="ar"
    ).index
    shelling = il_liaison.deesc.report_incident(
        time=at(-2), place=point, category="shelling", description=SHELLING_HE, lang="he"
    ).index
    _hidden_incident(cell)
    # A dispute raised and withdrawn in the period (the demo's stays in mediation).
    did, _ = il_liaison.disputes.raise_dispute(
        ["SY", "US"], "מחלוקת על שעת ההפגזה", "החשבון", "הבקשה", "he", cites=[shelling]
    )
    il_liaison.disputes.withdraw(did)
    # Times to acknowledge: IL 2 and 10 minutes; SY owes one in a thread IL is not in.
    tid, _ = sy_liaison.cell.open_thread("deescalation", "Near the line", "en", PARTIES)
    m1 = sy_liaison.cell.send(tid, "first", "en", "FLASH").index
    clock.advance(timedelta(minutes=2))
    il_liaison.cell.acknowledge(tid, m1)
    m2 = sy_liaison.cell.send(tid, "second", "en", "IMMEDIATE").index
    clock.advance(timedelta(minutes=10))
    il_liaison.cell.acknowledge(tid, m2)
    private, _ = us.cell.open_thread("general", "Only the supervisor", "en", ["SY", "US"])
    m3 = us.cell.send(private, "to SY only", "en", "FLASH").index
    clock.advance(timedelta(minutes=6))
    DeadlineEngine(cell, schedules=[]).run_due()  # SY let m3's FLASH clock pass: a breach
    return Scene(us, il, sy, il_liaison, drone, shelling, m3)


def _indices(report: dict[str, Any]) -> set[int]:
    return {i["index"] for i in report["incidents"]["items"]}


def _check_charts(report: dict[str, Any], zone: str) -> None:
    """The charts' data are the items listed, nothing more or less."""
    from zoneinfo import ZoneInfo

    chart = report["charts"]["incidents_by_day"]
    items = report["incidents"]["items"]
    want = Counter(
        (parse_rfc3339(i["time"]).astimezone(ZoneInfo(zone)).date().isoformat(), i["category"])
        for i in items
    )
    got = Counter({(d["day"], c): n for d in chart["days"] for c, n in d["counts"].items()})
    assert got == want
    assert chart["total"] == len(items) == report["incidents"]["total"]
    assert set(chart["categories"]) == {i["category"] for i in items}
    assert [d["total"] for d in chart["days"]] == [sum(d["counts"].values()) for d in chart["days"]]
    assert len(chart["days"]) == report["period"]["days"]
    tta = report["charts"]["time_to_acknowledge"]
    figures = report["acknowledgement"]
    if figures is None:
        assert tta is None
    else:
        keys = ("party", "median_s", "p90_s", "acknowledged")
        assert tta == [{k: f[k] for k in keys} for f in figures]


def _svg_counts(html: str) -> Counter[tuple[str, str]]:
    """What the page's chart draws: (day, category) -> count, from its bars."""
    found = re.findall(r'data-day="([\d-]+)" data-category="(\w+)" data-count="(\d+)"', html)
    return Counter({(d, c): int(n) for d, c, n in found})


def test_each_view_holds_what_its_party_may_read(cell: Cell, scene: Scene) -> None:
    full = scene.us.sitrep(**PERIOD)
    assert full["view"] == "all" and full["reader"] == {"party": "US", "member": "us-supervisor"}
    assert full["period"] == {
        "from": "2026-11-24",
        "to": "2026-11-26",
        "zone": "America/New_York",
        "since": "2026-11-24T05:00:00.000Z",
        "until": "2026-11-27T05:00:00.000Z",
        "days": 3,
    }
    assert {scene.drone, scene.shelling, HIDDEN} <= _indices(full)
    assert full["incidents"]["total"] == 4  # with the demo's shelling
    assert full["incidents"]["by_category"] == {"drone": 1, "shelling": 2, "incursion": 1}
    # Days are cut in the reader's zone: the drone (03:00 UTC) was on the 24th in New York.
    days = {d["day"]: d["counts"] for d in full["charts"]["incidents_by_day"]["days"]}
    assert days["2026-11-24"] == {"drone": 1}
    assert days["2026-11-26"] == {"incursion": 1, "shelling": 1}
    notices = full["notifications"]
    assert (notices["total"], notices["late"], notices["conflicting"]) == (2, 1, 1)
    assert full["breaches"]["total"] == 1 and full["breaches"]["by_party"]["SY"] == 1
    [breach] = full["breaches"]["items"]
    assert (breach["party"], breach["refs"]["message"]) == ("SY", scene.sy_us_message)
    owed = {(c["party"], c["refs"].get("message")) for c in full["clocks"]["items"]}
    assert ("SY", scene.sy_us_message) in owed
    tta = {f["party"]: f for f in full["acknowledgement"]}
    assert (tta["IL"]["acknowledged"], tta["IL"]["median_s"], tta["IL"]["p90_s"]) == (2, 360, 600)
    assert tta["SY"]["addressed"] == 1 and tta["SY"]["owed"] == 1
    disputes = full["disputes"]
    assert (disputes["raised"], disputes["open"], disputes["closed"]) == (2, 1, 1)
    assert disputes["by_stage"] == {"in_mediation": 1, "withdrawn": 1}
    understandings = full["understandings"]
    assert len(understandings["items"]) == len(cell.charter.understandings)
    assert understandings["changed"] >= 1
    _check_charts(full, "America/New_York")

    # Israel's head: its own view, which the supervisor can ask for and gets identically.
    il = scene.il.sitrep(**PERIOD)
    as_il = scene.us.sitrep(**PERIOD, party="IL")
    assert il["view"] == as_il["view"] == "IL"
    assert il["incidents"] == as_il["incidents"]
    assert il["clocks"] == as_il["clocks"] and il["breaches"] == as_il["breaches"]
    assert il["acknowledgement"] == as_il["acknowledgement"]
    assert il["disputes"] == as_il["disputes"]
    assert il["period"]["zone"] == "Asia/Jerusalem"
    _check_charts(il, "Asia/Jerusalem")
    _check_charts(as_il, "America/New_York")

    # The incident only SY and US read is nowhere in Israel's report: not listed, not
    # counted, not charted; nor SY's clock and breach in the thread IL is not in.
    for report in (il, as_il):
        assert HIDDEN not in _indices(report) and HIDDEN_AR not in json.dumps(report)
        assert report["incidents"]["total"] == 3
        assert "incursion" not in json.dumps(report)
        assert report["charts"]["incidents_by_day"]["total"] == 3
        assert report["breaches"] == {
            "total": 0,
            "by_party": dict.fromkeys(PARTIES, 0),
            "items": [],
        }
        assert all(
            c["refs"].get("message") != scene.sy_us_message for c in report["clocks"]["items"]
        )
        assert report["clocks"]["total"] == full["clocks"]["total"] - 1
        assert {f["party"]: f["addressed"] for f in report["acknowledgement"]}["SY"] == 0
    assert il["charts"]["incidents_by_day"]["days"][1]["counts"] == {"drone": 1}  # the 25th there

    # Syria's head reads it; Israel's liaison officer reads no board.
    sy = scene.sy.sitrep(**PERIOD)
    assert HIDDEN in _indices(sy) and sy["breaches"]["total"] == 1
    liaison = scene.il_liaison.sitrep(**PERIOD)
    assert liaison["clocks"] is liaison["breaches"] is liaison["acknowledgement"] is None
    assert liaison["charts"]["time_to_acknowledge"] is None
    assert liaison["incidents"] == il["incidents"]
    _check_charts(liaison, "Asia/Jerusalem")

    # The pages draw the same: the bars of the chart are the report's counts.
    for m, report in ((scene.us, full), (scene.il, il), (scene.il_liaison, liaison)):
        page = m.get("/sitrep", **PERIOD)
        assert page.status_code == 200
        chart = report["charts"]["incidents_by_day"]
        want = Counter({(d["day"], c): n for d in chart["days"] for c, n in d["counts"].items()})
        assert _svg_counts(page.text) == want
        assert 'role="img" aria-labelledby="sitrep-incidents-chart-title"' in page.text
        assert ('id="sitrep-tta-chart"' in page.text) is (report["acknowledgement"] is not None)
        assert (HIDDEN_AR in page.text) is (m is scene.us)
    assert 'id="sitrep-no-board"' in scene.il_liaison.get("/sitrep", **PERIOD).text
    # The default period: yesterday and today in the reader's zone.
    default = scene.il.sitrep()
    assert (default["period"]["from"], default["period"]["to"]) == ("2026-11-25", "2026-11-26")


def test_the_checkpoint_it_rests_on(cell: Cell, scene: Scene) -> None:
    witness, _ = add_witness(cell, "IL", "witness.il.example/w1")
    body, _ = split_note(cell.ledger.checkpoint())
    sig = cosign(body, witness, int(cell.clock.now().timestamp()))
    assert cell.ledger.add_cosignatures(body + "\n" + sig.line()) == 1
    report = scene.il.sitrep(**PERIOD)
    cp = report["checkpoint"]
    assert cp["size"] == cell.ledger.size()
    assert cp["root"] == b64e(cell.ledger.root_at(cp["size"]))
    assert cp["root_hex"] == cell.ledger.root_at(cp["size"]).hex()
    checkpoint, _ = open_checkpoint(cp["note"], cell.ledger.genesis.log_key)  # log-signed
    assert checkpoint.size == cp["size"]
    assert cp["cosignatures"] == [
        {"witness": "witness.il.example/w1", "party": "IL", "time": "2026-11-26T09:18:00.000Z"}
    ]
    assert cp["time"] == "2026-11-26T09:18:00.000Z"
    assert report["witnessed"] == cp
    # Every item listed is an entry below the checkpoint's size.
    listed = [i["index"] for i in report["incidents"]["items"]]
    listed += [a["index"] for a in report["notifications"]["items"]]
    listed += [d["raised"]["index"] for d in report["disputes"]["items"]]
    assert listed and max(listed) < cp["size"]
    # A later entry: the latest checkpoint has no cosignature yet; the witnessed one stays.
    scene.il_liaison.deesc.report_incident(
        time=at(0),
        place={"type": "Point", "coordinates": [35.8, 33.0]},
        category="drone",
        description="later",
        lang="en",
    )
    later = scene.il.sitrep(**PERIOD)
    assert later["checkpoint"]["size"] == cp["size"] + 1
    assert later["checkpoint"]["cosignatures"] == []
    assert later["witnessed"] == cp
    page = scene.il.get("/sitrep", **PERIOD).text
    assert later["checkpoint"]["root_hex"] in page and cp["root_hex"] in page
    assert "witness.il.example/w1" in page


def _pdf_text(data: bytes) -> tuple[str, set[str]]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    text = " ".join((p.extract_text() or "") for p in reader.pages)
    fonts: set[str] = set()
    for p in reader.pages:
        for f in (p["/Resources"].get("/Font") or {}).values():
            fonts.add(str(f.get_object()["/BaseFont"]))
    return " ".join(text.split()), fonts


def test_the_pdf_in_arabic_and_hebrew(scene: Scene) -> None:
    r = scene.sy.get("/sitrep.pdf", lang="ar", **PERIOD)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert 'filename="sitrep-2026-11-24-2026-11-26-SY-' in r.headers["content-disposition"]
    ar, fonts = _pdf_text(r.content)
    report = scene.sy.sitrep(**PERIOD)
    for words in ("طائرة مسيّرة فوق", "سقوط قذائف مدفعية", "لا يطّلع عليه", "سوريا", "قصف مدفعي"):
        assert words in ar, words
    assert report["checkpoint"]["root_hex"] in ar.replace(" ", "")
    assert "2026-11-25" in ar  # the day table
    assert any("Arabic" in f for f in fonts), fonts

    r = scene.il.get("/sitrep.pdf", lang="he", **PERIOD)
    assert r.status_code == 200, r.text
    he, fonts = _pdf_text(r.content)
    for words in ("הפגזה ליד הגדר", "ישראל", "סוריה", "סיור רכוב"):
        assert words in he, words
    assert HIDDEN_AR not in he and "لا يطّلع" not in he  # not Israel's to read
    assert "6:00" in he and "10:00" in he  # IL's median and 90th percentile
    assert any("Hebrew" in f for f in fonts), fonts


def test_the_pdf_answers_503_without_pango(
    member: MakeMember, monkeypatch: pytest.MonkeyPatch
) -> None:
    il = member("IL", "il-head", Role.HEAD_OF_DELEGATION)
    monkeypatch.setattr(statements_pdf, "_weasyprint", lambda: None)
    r = il.get("/sitrep.pdf", **PERIOD)
    assert r.status_code == 503 and "could not load Pango" in r.text
    page = il.get("/sitrep", **PERIOD)  # the page still works, and says so
    assert page.status_code == 200 and "PDF export is not available" in page.text


BAD = [
    ("il", {"from": "2026-11-26", "to": "2026-11-20"}, 400, "ends before it starts"),
    ("il", {"from": "2026-08-01", "to": "2026-11-26"}, 400, f"at most {MAX_DAYS} days"),
    ("il", {"from": "2026-13-01"}, 400, "from is not a valid date"),
    ("il", {"to": "yesterday"}, 400, "to must be a date YYYY-MM-DD"),
    ("il", {"from": "2027-01-01", "to": "2027-01-02"}, 400, "not begun"),
    ("il", {"party": "il"}, 400, "party"),
    ("il", {"from": "x" * 100}, 400, "from"),
    ("us", {"party": "XX"}, 404, "no such view of the report"),
    ("il", {"party": "SY"}, 404, "no such view of the report"),
    ("il", {"party": "all"}, 404, "no such view of the report"),
    ("liaison", {"party": "US"}, 404, "no such view of the report"),
]


def test_bad_requests_are_refused_clearly(member: MakeMember) -> None:
    """400 for a bad period or a malformed view; 404 alike for a view that does not exist
    and one the reader may not have; in the API, on the page and for the PDF."""
    readers = {
        "us": member("US", "us-supervisor", Role.SUPERVISOR),
        "il": member("IL", "il-head", Role.HEAD_OF_DELEGATION),
        "liaison": member("IL", "il-liaison"),
    }
    for who, params, status, detail in BAD:
        m = readers[who]
        r = m.get("/api/v1/sitrep", **params)
        assert r.status_code == status, (who, params, r.text)
        assert detail in r.json()["detail"], r.json()
        for path in ("/sitrep", "/sitrep.pdf"):  # pages: the error page, or the form again
            r = m.get(path, **params)
            assert r.status_code == status, (path, params, r.text[:300])
            assert '<html lang="en"' in r.text and detail in r.text, (path, params)
    assert readers["il"].get("/api/v1/sitrep", party="IL").status_code == 200  # its own


def test_the_form_shows_what_was_wrong(member: MakeMember) -> None:
    il = member("IL", "il-head", Role.HEAD_OF_DELEGATION)
    us = member("US", "us-supervisor", Role.SUPERVISOR)
    r = il.get("/sitrep", lang="he", **{"from": "2026-11-26", "to": "2026-11-20"})
    assert r.status_code == 400
    assert 'id="sitrep-error"' in r.text and 'name="from" value="2026-11-26"' in r.text
    assert '<html lang="he" dir="rtl">' in r.text
    ok = us.get("/sitrep", **PERIOD, party="IL")
    assert 'option value="IL" selected' in ok.text and 'data-view="IL"' in ok.text
    assert "sitrep.pdf?from=2026-11-24&amp;to=2026-11-26&amp;party=IL" in ok.text
    # Only the supervisor chooses a view.
    assert 'name="party"' not in il.get("/sitrep", **PERIOD).text
    assert T0.date().isoformat() in ok.text
