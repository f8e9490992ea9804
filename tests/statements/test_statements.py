"""Joint statements through the API and the Python client: drafted together in three
languages, versions on a current base, comments on passages, approvals of exactly a
version's texts, adoption and freezing, the diff, the PDF, and the rebuild."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import select

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.client import ClientError
from fusioncell.projections import PROJECTED, rebuild
from fusioncell.statements import kinds, pdf
from fusioncell.statements.client import StatementsClient
from fusioncell.statements.demo import paris_texts
from tests.statements.conftest import MakeMember

EN = "The parties renew their commitment to lasting security and stability arrangements."
AR = "يجدّد الطرفان التزامهما بترتيبات أمن واستقرار دائمة."
HE = "הצדדים מחדשים את מחויבותם להסדרי ביטחון ויציבות בני קיימא."
TEXTS = {"ar": AR, "en": EN, "he": HE}


def refused(status: int, call: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(ClientError) as e:
        call(*args, **kw)
    assert e.value.status == status, e.value.detail
    return e.value.detail


Heads = tuple[StatementsClient, StatementsClient, StatementsClient]


@pytest.fixture
def heads(member: MakeMember) -> Heads:
    return (
        member("IL", "il-head", Role.HEAD_OF_DELEGATION),
        member("SY", "sy-head", Role.HEAD_OF_DELEGATION),
        member("US", "us-head", Role.HEAD_OF_DELEGATION),
    )


def test_a_statement_from_draft_to_adoption(cell: Cell, member: MakeMember, heads: Heads) -> None:
    il, sy, us = heads
    sy_lo = member("SY", "sy-liaison")
    sid, _ = sy_lo.draft(["IL", "US"], "Paris joint statement", "en", TEXTS, round="paris")
    for c in (il, sy, us):
        [row] = c.statements()
        assert row["id"] == sid and row["state"] == "draft" and row["round"] == "paris"
    view = il.statement(sid)
    assert view["current"]["number"] == 1 and view["current"]["texts"] == TEXTS
    assert view["current"]["sha256"] == kinds.texts_hash(TEXTS)
    assert view["approvals_now"] == {"IL": None, "SY": None, "US": None}

    # A comment on the Hebrew passage, then a second version amending it.
    il.comment_on(sid, 1, "he", "בני קיימא", "נא להוסיף 'לשתי המדינות'.", "he")
    v2 = {**TEXTS, "he": HE.replace("בני קיימא.", "בני קיימא לשתי המדינות.")}
    sy_lo.propose(sid, 1, v2)
    il.approve(sid)
    sy.approve(sid)
    view = us.statement(sid)
    assert view["statement"]["state"] == "draft"
    assert {p for p, a in view["approvals_now"].items() if a} == {"IL", "SY"}
    us.approve(sid)

    view = us.statement(sid)
    s = view["statement"]
    assert s["state"] == "adopted" and s["adopted"]["time"] == "2026-11-26T09:00:00.000Z"
    assert [(a["party"], a["version"]) for a in view["approvals"]] == [
        ("IL", 2),
        ("SY", 2),
        ("US", 2),
    ]
    assert {a["sha256"] for a in view["approvals"]} == {kinds.texts_hash(v2)}
    assert [v["number"] for v in view["versions"]] == [1, 2]
    assert view["versions"][0]["texts"] == TEXTS  # never overwritten
    assert view["comments"][0]["passage"]["quote"] == "בני קיימא"
    assert [r["id"] for r in us.statements(state="adopted")] == [sid]
    assert us.statements(state="draft") == []

    # Frozen: no version, comment or approval any more.
    refused(409, sy_lo.propose, sid, 2, TEXTS)
    refused(409, il.comment_on, sid, 2, "en", "parties", "late", "en")
    refused(409, il.approve, sid)


def test_a_new_version_resets_the_approvals(heads: Heads) -> None:
    il, sy, us = heads
    sid, _ = il.draft(["SY", "US"], "Statement", "en", TEXTS)
    il.approve(sid)
    sy.approve(sid)
    v1_hash = kinds.texts_hash(TEXTS)
    sy.propose(sid, 1, {**TEXTS, "en": EN + " Both countries."})
    view = us.statement(sid)
    assert view["approvals_now"] == {"IL": None, "SY": None, "US": None}
    assert len(view["approvals"]) == 2  # still on the record, of version 1
    us.approve(sid)
    # The old approvals do not count: not adopted until IL and SY approve version 2.
    assert us.statement(sid)["statement"]["state"] == "draft"
    # Approving version 1 now is refused: it is not the current one.
    assert "not the current one" in refused(409, il.approve_hash, sid, 1, v1_hash)
    il.approve(sid)
    sy.approve(sid)
    assert il.statement(sid)["statement"]["state"] == "adopted"


def test_approval_needs_every_language_and_the_exact_hash(heads: Heads) -> None:
    il, sy, us = heads
    sid, _ = il.draft(["SY", "US"], "Statement", "en", {"en": EN, "he": HE})
    view = il.statement(sid)
    assert view["missing_languages"] == ["ar"]
    assert "ar" in refused(409, il.approve, sid)  # a missing language: nothing to adopt
    sy.propose(sid, 1, TEXTS)
    assert "hash" in refused(409, il.approve_hash, sid, 2, kinds.texts_hash({"en": EN}))
    assert "hash" in refused(409, il.approve_hash, sid, 2, "0" * 64)
    il.approve(sid)
    assert "already" in refused(409, il.approve, sid)
    sy.approve(sid)
    us.approve(sid)
    assert us.statement(sid)["statement"]["state"] == "adopted"


def test_who_may_do_what(member: MakeMember, heads: Heads) -> None:
    il, sy, _ = heads
    il_duty = member("IL", "il-duty", Role.DUTY_OFFICER)
    us_sup = member("US", "us-supervisor", Role.SUPERVISOR)
    sy_lo = member("SY", "sy-liaison")
    refused(403, il_duty.draft, ["SY", "US"], "T", "en", TEXTS)
    sid, _ = sy_lo.draft(["IL", "US"], "T", "en", TEXTS)
    refused(403, il_duty.propose, sid, 1, {"en": "Other."})
    refused(403, sy_lo.approve, sid)  # a liaison officer drafts, does not approve
    refused(403, us_sup.approve, sid)  # nor does the supervisor: the US head does
    il_duty.comment_on(sid, 1, "en", "parties", "Fine by the duty.", "en")
    refused(409, il.propose, sid, 2, {"en": "No version 2 yet."})  # a stale/unknown base
    sy.propose(sid, 1, {**TEXTS, "en": EN + " Now."})
    # Two drafters on version 1 at once: the second is refused, nothing is lost.
    assert "not the current one" in refused(409, il.propose, sid, 1, {**TEXTS, "en": "Mine."})
    assert "changes nothing" in refused(400, il.propose, sid, 2, {**TEXTS, "en": EN + " Now."})


def test_a_party_outside_sees_nothing(member: MakeMember, heads: Heads) -> None:
    il, sy, us = heads
    sid, _ = sy.draft(["US"], "For the US", "en", {"en": "Only SY and US."})
    assert il.statements() == []
    refused(404, il.statement, sid)
    refused(404, il.diff, sid, 1, 1)
    refused(404, il.pdf, sid)
    il._parties[sid] = ["IL", "SY", "US"]
    refused(404, il.approve_hash, sid, 1, "0" * 64)
    refused(404, il.approve_hash, "nosuchstatement", 1, "0" * 64)
    assert [r["id"] for r in us.statements()] == [sid]


def test_comments_must_quote_the_passage(heads: Heads) -> None:
    il, sy, _ = heads
    sid, _ = sy.draft(["IL", "US"], "T", "en", TEXTS)
    start = AR.index("أمن")
    sy.comment(sid, 1, "ar", start, start + 3, "أمن", "Security, yes.", "en")
    assert "quote is not" in refused(400, sy.comment, sid, 1, "ar", start + 1, start + 4,
                                     "أمن", "x", "en")  # fmt: skip
    assert "quote is not" in refused(400, sy.comment, sid, 1, "ar", 1000, 1003, "أمن", "x", "en")
    assert "end - start" in refused(400, sy.comment, sid, 1, "ar", 0, 5, "أمن", "x", "en")
    assert "ends after" in refused(400, sy.comment, sid, 1, "ar", 3, 3, "", "x", "en")
    refused(404, sy.comment, sid, 7, "ar", 0, 3, AR[:3], "x", "en")
    only_en, _ = sy.draft(["IL", "US"], "T", "en", {"en": EN})
    assert "no he text" in refused(400, sy.comment, only_en, 1, "he", 0, 3, "abc", "x", "en")
    view = il.statement(sid)
    [c] = view["comments"]
    assert c["passage"] == {"lang": "ar", "start": start, "end": start + 3, "quote": "أمن"}
    assert (c["text"], c["lang"], c["party"]) == ("Security, yes.", "en", "SY")


def raw(c: StatementsClient, kind: str, sid: str, body: dict[str, Any], vis: list[str]) -> str:
    return refused(400, c.post, kind, kinds.subject(sid), vis, body)


GOOD: dict[str, Any] = {
    "statement": "stmt-0001",
    "parties": ["IL", "SY", "US"],
    "title": "A statement",
    "lang": "en",
    "texts": {"en": "Text."},
}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"texts": {}}, "texts maps"),
        ({"texts": "Text."}, "texts maps"),
        ({"texts": {"en": "   "}}, "the en text is empty"),
        ({"texts": {"fr": "Texte."}}, "language must be one of"),
        ({"texts": {"en": "abc\u202edef"}}, "bidi control"),
        ({"texts": {"ar": "نص\u2067مقلوب"}}, "bidi control"),
        ({"texts": {"en": "x" * 8001}}, "longer than"),
        ({"texts": {"en": "a\x00b"}}, "control character"),
        ({"title": "x" * 201}, "longer than"),
        ({"title": ""}, "title is empty"),
        ({"round": "vienna"}, "unknown round"),
        ({"parties": ["IL", "SY"]}, "supervisor"),
        ({"parties": ["SY", "IL", "US"]}, "sorted list"),
        ({"statement": "BAD_ID_X"}, "statement id"),
        ({"extra": 1}, "unknown fields"),
    ],
)
def test_bad_statements_are_refused_clearly(
    member: MakeMember, change: dict[str, Any], says: str
) -> None:
    sy = member("SY", "sy-liaison")
    body = {**GOOD, **change}
    assert says in raw(sy, kinds.CREATED, body["statement"], body, ["IL", "SY", "US"])


def test_bad_entries_on_a_statement(member: MakeMember, heads: Heads) -> None:
    il, sy, _ = heads
    sy.post(kinds.CREATED, kinds.subject("stmt-0001"), GOOD["parties"], GOOD)
    vis = GOOD["parties"]
    sid = "stmt-0001"
    for kind, body, says in [
        (kinds.VERSION, {"base": 0, "texts": {"en": "x"}}, "base is a whole number"),
        (kinds.VERSION, {"base": "1", "texts": {"en": "x"}}, "base is a whole number"),
        (kinds.APPROVED, {"version": 1, "sha256": "ABC"}, "sha256 is 64"),
        (kinds.APPROVED, {"version": 1}, "lacks sha256"),
        (
            kinds.COMMENT,
            {"version": 1, "passage": {"lang": "en"}, "text": "x", "lang": "en"},
            "passage is",
        ),
    ]:
        assert says in raw(il, kind, sid, {"statement": sid, **body}, vis)
    body = {"statement": sid, "version": 1, "sha256": "0" * 64}
    assert "subject" in raw(il, kinds.APPROVED, "stmt-0002", body, vis)
    assert "visibility" in raw(il, kinds.APPROVED, sid, body, ["IL", "SY"])
    refused(409, sy.post, kinds.CREATED, kinds.subject(sid), vis, GOOD)


def test_the_diff_is_word_by_word_in_every_language(heads: Heads) -> None:
    il, sy, _ = heads
    v1 = paris_texts(1)
    v2 = paris_texts(2)
    sid, _ = sy.draft(["IL", "US"], "Paris", "en", v1)
    sy.propose(sid, 1, v2)
    d = il.diff(sid, 1, 2)
    assert (d["a"]["number"], d["b"]["number"]) == (1, 2)
    for lang in ("ar", "he", "en"):
        ops = d["languages"][lang]["ops"]
        assert d["languages"][lang]["changed"]
        # Joining the pieces gives back each text exactly: no word is cut.
        assert "".join(o["a"] for o in ops) == v1[lang]
        assert "".join(o["b"] for o in ops) == v2[lang]
        words = set(v1[lang].split()) | set(v2[lang].split())
        for o in ops:
            if o["op"] != "equal":
                assert all(w in words for w in (o["a"] + " " + o["b"]).split())
    ar_added = " ".join(o["b"] for o in d["languages"]["ar"]["ops"] if o["op"] != "equal")
    assert "السرعة" in ar_added
    assert not il.diff(sid, 2, 2)["languages"]["en"]["changed"]
    refused(404, il.diff, sid, 1, 3)


def test_the_api_refuses_bad_reads(member: MakeMember, http: Any) -> None:
    sy = member("SY", "sy-liaison")
    sid, _ = sy.draft(["IL", "US"], "T", "en", TEXTS)
    for path, status in [
        ("?state=final", 400),
        ("/BAD!", 400),
        ("/nosuchstatement", 404),
        (f"/{sid}/diff?a=0&b=1", 400),
        (f"/{sid}/diff?a=x&b=1", 400),
        (f"/{sid}/diff?a=1", 400),
        (f"/{sid}.pdf", 409),  # a draft is not exported
    ]:
        r = http.get("/api/v1/statements" + path, headers=sy.headers)
        assert r.status_code == status, (path, r.text)
        assert r.json()["detail"]
    assert http.get("/api/v1/statements", headers={"accept": "application/json"}).status_code == 401


def adopt(heads: Heads, texts: dict[str, str]) -> str:
    _il, sy, _us = heads
    sid, _ = sy.draft(["IL", "US"], "Paris joint statement", "en", texts, round="paris")
    for c in heads:
        c.approve(sid)
    return sid


def test_the_pdf_of_an_adopted_statement(heads: Heads) -> None:
    from pypdf import PdfReader

    il, _, _ = heads
    texts = paris_texts(2)
    sid = adopt(heads, texts)
    data = il.pdf(sid)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "".join(p.extract_text() or "" for p in reader.pages)
    assert "Israel and Syria renew their commitment" in " ".join(text.split())
    assert kinds.texts_hash(texts) in text.replace("\n", "")
    fonts: set[str] = set()
    for p in reader.pages:
        for f in (p["/Resources"].get("/Font") or {}).values():
            fonts.add(str(f.get_object()["/BaseFont"]))
    assert any("Arabic" in f for f in fonts), fonts
    assert any("Hebrew" in f for f in fonts), fonts


def test_the_pdf_answers_503_without_pango(heads: Heads, monkeypatch: pytest.MonkeyPatch) -> None:
    sid = adopt(heads, TEXTS)
    monkeypatch.setattr(pdf, "_weasyprint", lambda: None)
    assert "Pango" in refused(503, heads[0].pdf, sid)
    assert heads[0].statement(sid)["statement"]["state"] == "adopted"  # the rest works


def _snapshot(cell: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with cell.engine.connect() as c:
        for t in PROJECTED:
            if t.name.startswith("statements"):
                rows = c.execute(select(t)).mappings().all()
                out[t.name] = sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in rows)
    return out


def test_rebuild_gives_the_same_tables(cell: Cell, heads: Heads) -> None:
    il, sy, _us = heads
    sid = adopt(heads, TEXTS)
    other, _ = il.draft(["SY", "US"], "Draft", "he", {"he": HE})
    sy.comment_on(other, 1, "he", "ביטחון", "موافق.", "ar")
    il.propose(other, 1, TEXTS)
    sy.approve(other)
    live = _snapshot(cell)
    assert len(live["statements"]) == 2 and live["statements_approvals"]
    assert any("adopted" in str(r) for r in live["statements"]) and sid
    rebuild(cell)
    assert _snapshot(cell) == live
