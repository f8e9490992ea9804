"""Search through the real log: every kind of text indexed with its visibility, found in
three languages, nothing hidden ever found or counted, bad input refused, the rebuild."""

from __future__ import annotations

from typing import Any

import pytest
from bench.search import entry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from fusioncell.cell import Cell
from fusioncell.client import ClientError
from fusioncell.db import reading, transaction
from fusioncell.projections import rebuild
from fusioncell.search import queries
from fusioncell.search.normalize import terms
from fusioncell.search.projector import SearchProjector, age_marks
from fusioncell.search.queries import age_windows, search_conn
from fusioncell.search.tables import search_rows
from tests.search.conftest import MakeMember, at

INSIDE = {"type": "Point", "coordinates": [35.85, 33.10]}


def links(found: dict[str, Any]) -> list[str]:
    return [r["link"] for r in found["results"]]


def marked(found: dict[str, Any]) -> list[str]:
    return [s["text"] for r in found["results"] for s in r["snippet"] if s["mark"]]


def refused(status: int, call: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(ClientError) as e:
        call(*args, **kw)
    assert e.value.status == status, e.value.detail
    return e.value.detail


def test_every_kind_is_found_by_who_may_read_it(cell: Cell, member: MakeMember) -> None:
    il, sy, us = member("IL", "il-liaison"), member("SY", "sy-liaison"), member("US", "us-duty")
    # Cell: a thread of SY and US; a message, its edit, a retraction's reason.
    tid, _ = sy.cell.open_thread("deescalation", "تَمْدِيدُ الهُدْنَةِ", "ar", ["SY", "US"])
    m = sy.cell.send(tid, "نُرِيدُ تَمْدِيدَ وَالمُفَاوَضَاتِ حَوْلَ الحُدُودِ", "ar").index
    sy.cell.edit(tid, m, "نريد تمديد الحديث حول المعابر", "ar")
    sy.cell.retract(tid, m, "أُرسلت خطأً إلى القناة", "ar")
    # Intelligence: a report to IL and US, its tear line to all, an assessment, an RFI.
    il.intel.issue(
        "report-0001",
        title="שיירה ליד הקו",
        summary="שלוש משאיות נעו צפונה",
        body="פרטים מלאים: המקור והמסלול הסודי",
        lang="he",
        window=(at(-6), at(-1)),
        grading="B2",
        releasability=["IL", "US"],
    )
    il.intel.release_summary(
        "report-0001", title="תנועה ליד הקו", text="תנועת כלי רכב", lang="he", to=["IL", "SY", "US"]
    )
    us.intel.assess("report-0001", "corroborated", "B2", "Corroborated by our imagery.", "en")
    # De-escalation (everyone's): an incident, a clarification asked and answered.
    inc = il.deesc.report_incident(
        time=at(-2),
        place=INSIDE,
        category="shelling",
        description="הפגזה ארטילרית בשולי הכפר",
        lang="he",
    ).index
    req = sy.deesc.request_clarification(inc, "Which battery fired on the village?", "en").index
    il.deesc.answer_clarification(req, "The shelling came from the northern ridge.", "en")
    # Commerce: a proposal of SY to US only.
    pid, _ = sy.commerce.submit(
        ["SY", "US"], "energy", "ربط شبكتي الكهرباء", "دراسة الربط الكهربائي", "ar"
    )

    assert links(sy.find("مفاوضات")) == [f"/cell/t/{tid}#m-{m}"]
    assert marked(sy.find("مفاوضات")) == ["وَالمُفَاوَضَاتِ"]
    assert links(sy.find("المعابر")) == [f"/cell/t/{tid}#m-{m}"]  # the edit's text
    assert links(sy.find("القناة")) == [f"/cell/t/{tid}#m-{m}"]  # the reason
    assert links(sy.find("هدنة")) == [f"/cell/t/{tid}"]
    assert il.find("مفاوضات")["total"] == 0  # IL is not in the thread

    # The report: IL and US find title and body; SY only the tear line.
    found = il.find("שיירה")
    assert links(found) == ["/intel/r/report-0001"]
    body = il.find("והסודי")
    assert body["total"] == 1 and body["results"][0]["withheld"]
    assert body["results"][0]["snippet"] == []  # the body is read on its page, recorded
    assert sy.find("שיירה")["total"] == 0 and sy.find("סודי")["total"] == 0
    assert links(sy.find("כלי רכב")) == ["/intel/r/report-0001"]
    assert links(il.find("corroborating imagery")) == ["/intel/r/report-0001"]
    assert sy.find("imagery")["total"] == 0

    assert links(sy.find("ההפגזה")) == [f"/deesc/items/{inc}"]
    assert links(sy.find("battery")) == [f"/deesc/items/{inc}"]
    assert links(sy.find("northern ridges")) == [f"/deesc/items/{inc}"]

    assert sorted(links(us.find("الكهرباء"))) == [f"/commerce/p/{pid}"]
    assert il.find("الكهرباء")["total"] == 0

    # The charter's understandings, in each language, for everyone.
    for q in ("التعاون الاقتصادي", "שיתוף פעולה כלכלי", "economic cooperation"):
        assert "/understandings/borders-economy" in links(il.find(q))

    # Filters.
    assert {r["area"] for r in sy.find("الكهرباء", kind="commerce")["results"]} == {"commerce"}
    assert sy.find("الكهرباء", kind="cell")["total"] == 0
    assert {r["lang"] for r in il.find("cooperation", lang="en")["results"]} == {"en"}

    # The widened release: SY now finds the report, once.
    il.intel.widen("report-0001", ["IL", "SY", "US"])
    assert links(sy.find("שיירה")) == ["/intel/r/report-0001"]
    assert il.find("שיירה")["total"] == 1
    assert us.find("שיירה")["total"] == 1  # the supervisor: the original, not the copy


def test_queries_in_each_language(cell: Cell, member: MakeMember) -> None:
    sy = member("SY", "sy-liaison")
    tid, _ = sy.cell.open_thread("general", "Topic", "en", ["IL", "SY", "US"])
    sy.cell.send(tid, "وَبِالْمُفَاوَضَاتِ الجَارِيَةِ نَصِلُ إلى اتفاق", "ar")
    sy.cell.send(tid, "והמשא ומתן בגבולות נמשך", "he")
    sy.cell.send(tid, "The negotiations on the ceasefire lines continued.", "en")
    # Arabic without diacritics finds the vocalised, prefixed text.
    assert len(sy.find("المفاوضات")["results"]) == 1
    assert len(sy.find("مفاوضة")["results"]) == 1
    # Hebrew without the prefix letters finds the prefixed word.
    assert len(sy.find("משא")["results"]) == 1
    assert len(sy.find("ומשא")["results"]) == 1
    # English stems.
    assert len(sy.find("negotiating")["results"]) == 1
    assert len(sy.find("ceasefires line")["results"]) == 1
    # Words are ANDed; a phrase keeps its order; the last word is a prefix.
    assert sy.find("negotiations banana")["total"] == 0
    assert sy.find('"ceasefire lines"')["total"] == 1
    assert sy.find('"lines ceasefire"')["total"] == 0
    # Both neighbouring pairs of a phrase, but not in one run: not the phrase.
    sy.cell.send(tid, "Border crossing reopened; the crossing point was closed.", "en")
    assert sy.find('"border crossing point"')["total"] == 0
    assert sy.find('"crossing point"')["total"] == 1
    assert sy.find('"the crossing point was"')["total"] == 1
    assert sy.find("ceasef")["total"] == 1
    assert sy.find("ceasef ")["total"] == 0  # a finished word is a word, not a prefix


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '"unbalanced',
        "NEAR(a b)",
        "a AND OR NOT b",
        "(((",
        "title: x",
        "x*",
        "*",
        "^x",
        "'; DROP TABLE search_rows; --",
        "a\u202eb",
        "\u200f\u200b x",
        "\\",
        "'",
        "':*",
        "x <-> y",
        "!&|",
        "مفاوضات)",
    ],
)
def test_syntax_characters_are_only_words(cell: Cell, member: MakeMember, q: str) -> None:
    sy = member("SY", "sy-liaison")
    r = sy.search.http.get("/api/v1/search", params={"q": q}, headers=sy.search.headers)
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:
        assert r.json()["total"] >= 0


def test_bad_input_is_a_clear_4xx(cell: Cell, member: MakeMember) -> None:
    sy = member("SY", "sy-liaison")
    assert "no word" in refused(400, sy.find, "")
    assert "no word" in refused(400, sy.find, "?!.,;:")
    assert "200" in refused(400, sy.find, "x" * 201)
    refused(400, sy.find, "x" * 801)
    assert "kind" in refused(400, sy.find, "x", kind="nothing")
    refused(400, sy.find, "x", lang="1")
    refused(400, sy.find, "x", offset=5000)
    r = sy.search.http.get(
        "/api/v1/search?q=%FF%FE%C3", headers=sy.search.headers
    )  # invalid UTF-8: replaced, then no word
    assert r.status_code == 400
    r = sy.search.http.get("/api/v1/search?q=x")
    assert r.status_code == 401


def test_rebuild_gives_the_same_index(cell: Cell, member: MakeMember) -> None:
    il, sy = member("IL", "il-liaison"), member("SY", "sy-liaison")
    tid, _ = sy.cell.open_thread("general", "נושא", "he", ["IL", "SY", "US"])
    m = sy.cell.send(tid, "رسالة أولى", "ar").index
    sy.cell.edit(tid, m, "رسالة معدلة", "ar")
    il.intel.issue(
        "report-0002",
        title="Title",
        summary="Summary",
        body="Body",
        lang="en",
        window=(at(-6), at(-1)),
        grading="A1",
        releasability=["IL", "US"],
    )
    il.intel.widen("report-0002", ["IL", "SY", "US"])

    def snap() -> list[Any]:
        with cell.engine.connect() as c:
            return [tuple(r) for r in c.execute(select(search_rows).order_by(search_rows.c.id))]

    live = snap()
    before = sy.find("معدلة")
    assert len(live) > 10
    rebuild(cell)
    assert snap() == live
    assert sy.find("معدلة") == before


VIS = [("IL", "US"), ("SY", "US"), ("IL", "SY", "US"), ("IL",), ("SY",), ("US",)]
WORDS = ["سلام", "الحدود", "שלום", "הגבול", "peace", "border", "water"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4), st.sampled_from(VIS)),
        min_size=1,
        max_size=25,
    ),
    st.sampled_from(WORDS),
)
def test_visibility_is_exact(
    cell: Cell, docs: list[tuple[list[str], tuple[str, ...]]], word: str
) -> None:
    """Against a brute-force filter: each party finds exactly the texts it may read that
    hold the word; the counts are the same; a query matching only hidden texts answers
    exactly what a query matching nothing does."""
    base = 10_000_000
    projector = SearchProjector()
    with transaction(cell.engine) as conn:
        conn.execute(text("DELETE FROM search_rows WHERE idx >= :b"), {"b": base})
        for i, (ws, vis) in enumerate(docs):
            projector(
                conn,
                entry(base + i, subject="t/visibility", visibility=vis),
                {"thread": "x", "text": " ".join(ws), "lang": "en"},
            )

    want_term = terms(word)[0]
    with reading(cell.engine) as conn:
        nothing = search_conn(conn, "IL", "zzzqqq ", limit=50)
        for party in ("IL", "SY"):
            expected = sorted(
                base + i
                for i, (ws, vis) in enumerate(docs)
                if party in vis and want_term in {t for w in ws for t in terms(w)}
            )
            out = search_conn(conn, party, word + " ", limit=50)
            got = sorted(r["index"] for r in out["results"] if r["index"] >= base)
            assert got == expected
            assert out["total"] == len(expected) + _others(conn, party, word)
            if not expected and not _others(conn, party, word):
                assert {**out, "query": ""} == {**nothing, "query": ""}


def _others(conn: Any, party: str, word: str) -> int:
    """Texts outside the generated ones (the charter's) that hold the word."""
    out = search_conn(conn, party, word + " ", limit=50)
    return sum(1 for r in out["results"] if r["index"] < 10_000_000)


def test_a_word_longer_than_postgresql_allows_is_written(cell: Cell, member: MakeMember) -> None:
    """A tsvector word is at most 2,047 bytes: longer ones are left out of PostgreSQL's
    index (no query can be that long), and the message is written on both databases."""
    sy = member("SY", "sy-liaison")
    tid, _ = sy.cell.open_thread("general", "נושא", "he", ["IL", "SY", "US"])
    sy.cell.send(tid, "א" * 5000 + " שלום", "he")
    assert sy.find("שלום")["total"] == 1


@pytest.mark.parametrize("smallest", [13, 16])
@pytest.mark.parametrize("top", [0, 5, 8191, 8192, 65535, 65536 + 5, 524288 + 5, 1_000_000, 10**7])
def test_age_windows_cover_every_entry_once(top: int, smallest: int) -> None:
    """PostgreSQL's windows, newest first, are contiguous down to entry 0, and each
    window's one age token is held by exactly the rows of its entries (and older ones are
    cut off by the id bound), so no match is skipped or found twice."""
    below = top + 1
    for mark, lo in age_windows(top, smallest):
        assert 0 <= lo < below
        if mark is not None:
            for idx in {lo, below - 1, (lo + below) // 2}:
                assert mark in age_marks(idx)
            assert lo == 0 or mark not in age_marks(lo - 1)
        below = lo
    assert below == 0


def test_the_newest_matches_are_found_across_windows(
    cell: Cell, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With few candidates allowed, the newest matches are returned whichever windows
    they lie in, newest first, and every match when there are fewer."""
    at_idx = [3_000, 600_000, 70_000, 9_000, 530_000, 5_000_000, 8_200]
    projector = SearchProjector()
    with transaction(cell.engine) as conn:
        body = {"thread": "x", "text": "quokka", "lang": "en"}
        for i in at_idx:
            projector(conn, entry(i, subject="t/visibility", visibility=("IL", "US")), body)
        hidden = entry(5_000_001, subject="t/visibility", visibility=("SY",))
        projector(conn, hidden, body)  # newest, but hidden from IL
    for k in (1, 3, 5, 20):
        monkeypatch.setattr(queries, "CANDIDATES", k)
        for typed in ("quokka ", "quok"):  # a prefix starts with larger windows
            with reading(cell.engine) as conn:
                got = [r["index"] for r in search_conn(conn, "IL", typed, limit=50)["results"]]
            assert sorted(got, reverse=True) == sorted(at_idx, reverse=True)[:k]
