"""Translation and the glossary through the API and the Python client: the engines (none,
a real LibreTranslate-compatible server, its failures), the cache and batching, verified
translations and who sees them, the glossary's life, terms kept through a machine
translation, and the rebuild."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.client import ClientError
from fusioncell.language import kinds
from fusioncell.language.client import LanguageClient
from fusioncell.language.engines import LibreTranslate, Unavailable
from fusioncell.language.projector import sha256_text
from fusioncell.language.tables import language_cache, language_verified
from fusioncell.ledger.tables import log_bodies
from fusioncell.projections import PROJECTED, rebuild
from tests.language.conftest import API_KEY, MakeMember, Toy

AR = "نطلب توضيحاً بشأن تحركات قرب خط الفصل صباح اليوم."
AR2 = "سنرسل فريقاً إلى المعبر غداً."
AR3 = "تم استلام الرسالة."
EN = "The supervisor will attend the next meeting."
HE = "אנו מבקשים הבהרה בנוגע לתנועות ליד קו ההפרדה הבוקר."
TEXTS = {"ar": "خط الفصل", "he": "קו ההפרדה", "en": "separation line"}


def refused(status: int, call: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(ClientError) as e:
        call(*args, **kw)
    assert e.value.status == status, e.value.detail
    return e.value.detail


def thread(c: LanguageClient, parties: list[str], lang: str = "ar") -> str:
    tid, _ = c.open_thread("deescalation", "تحركات", lang, parties)
    return tid


def adopt(sy: LanguageClient, il: LanguageClient, us: LanguageClient) -> None:
    sy.propose_term("separation-line", TEXTS)
    il.agree_term("separation-line")
    us.agree_term("separation-line")


@pytest.fixture
def three(member: MakeMember) -> tuple[LanguageClient, LanguageClient, LanguageClient]:
    return (
        member("SY", "sy-liaison"),
        member("IL", "il-liaison"),
        member("US", "us-head", Role.HEAD_OF_DELEGATION),
    )


# ---- engines ---------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["none"])
def test_no_engine_shows_the_original_and_says_why(three: Any, lt: Toy) -> None:
    sy, il, _ = three
    tid = thread(sy, ["IL", "SY", "US"])
    idx = sy.send(tid, AR, "ar").index
    out = il.translations([(idx, "text")], "he")
    assert out["engine"] == "none"
    [item] = out["items"]
    assert item["original"] == {
        "text": AR,
        "lang": "ar",
        "sha256": sha256_text(AR),
        "authoritative": True,
        "terms": [],
    }
    assert item["translation"] is None and item["reason"] == "none"
    # the same language needs nothing, whatever the engine
    assert il.translation(idx, "text", "ar")["reason"] == "same_language"
    assert lt.calls == []


def test_the_http_engine_directly(lt: Toy) -> None:
    e = LibreTranslate(lt.url, API_KEY, timeout=0.3)
    assert e.translate(["a", "b"], "ar", "he") == ["he: a", "he: b"]
    assert lt.calls[-1]["body"] == {
        "q": ["a", "b"],
        "source": "ar",
        "target": "he",
        "format": "text",
        "api_key": API_KEY,
    }
    assert ("ar", "he") in (e.languages() or [])
    assert LibreTranslate(lt.url, "wrong").translate([], "ar", "he") == []
    with pytest.raises(Unavailable, match="403"):
        LibreTranslate(lt.url, "wrong").translate(["a"], "ar", "he")
    for mode, reason in [
        ("error", "unavailable"),
        ("slow", "unavailable"),
        ("garbage", "unavailable"),
        ("unsupported", "unsupported"),
    ]:
        lt.mode = mode
        with pytest.raises(Unavailable) as exc:
            e.translate(["a"], "ar", "he")
        assert exc.value.reason == reason, mode
    with pytest.raises(Unavailable, match="unreachable"):
        LibreTranslate("http://127.0.0.1:9", timeout=0.3).translate(["a"], "ar", "he")


def test_one_engine_call_per_pair_for_a_page_then_the_cache(
    cell: Cell, three: Any, lt: Toy
) -> None:
    sy, il, us = three
    tid = thread(sy, ["IL", "SY", "US"])
    a = [sy.send(tid, t, "ar").index for t in (AR, AR2, AR3)]
    e = us.send(tid, EN, "en").index
    h = il.send(tid, HE, "he").index
    items = [(i, "text") for i in [*a, e, h]]
    out = il.translations(items, "he")
    got = {i["entry"]: i for i in out["items"]}
    assert [got[i]["translation"]["text"] for i in a] == [f"he: {t}" for t in (AR, AR2, AR3)]
    assert got[e]["translation"]["text"] == f"he: {EN}"
    assert got[e]["translation"]["provenance"] == "machine"
    assert got[e]["translation"]["engine"] == "LibreTranslate"
    assert got[h]["translation"] is None and got[h]["reason"] == "same_language"
    calls = lt.translations()
    assert sorted((c["body"]["source"], len(c["body"]["q"])) for c in calls) == [
        ("ar", 3),
        ("en", 1),
    ]
    # again, and from another reader of the same language: all from the cache
    il.translations(items, "he")
    assert len(lt.translations()) == 2
    # a new text alone is sent, once
    a4 = sy.send(tid, "نص جديد.", "ar").index
    il.translations([*items, (a4, "text")], "he")
    assert [c["body"]["q"] for c in lt.translations()[2:]] == [["نص جديد."]]
    with cell.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(language_cache)).scalar() == 5
        # machine translations never reach the log
        bodies = [bytes(b).decode() for b in conn.execute(select(log_bodies.c.body)).scalars()]
    assert not any("he: " in b for b in bodies)


def test_engine_failures_are_a_state_never_a_500(three: Any, lt: Toy) -> None:
    sy, il, _ = three
    tid = thread(sy, ["IL", "SY", "US"])
    idx = sy.send(tid, AR, "ar").index
    for mode in ("error", "slow", "garbage"):
        lt.mode = mode
        item = il.translation(idx, "text", "he")
        assert item["translation"] is None and item["reason"] == "unavailable", mode
        assert item["original"]["text"] == AR
    lt.mode = "unsupported"
    assert il.translation(idx, "text", "he")["reason"] == "unsupported"
    # a failure is not cached: the next answer is used
    lt.mode = "ok"
    assert il.translation(idx, "text", "he")["translation"]["text"] == f"he: {AR}"


# ---- the API's reading rule --------------------------------------------------------------


def test_a_hidden_entry_is_a_404_like_a_missing_one(three: Any, member: MakeMember) -> None:
    sy, il, us = three
    hidden = thread(sy, ["SY", "US"])
    idx = sy.send(hidden, AR, "ar").index
    missing = refused(404, il.translations, [(idx + 100, "text")], "he")
    assert refused(404, il.translations, [(idx, "text")], "he") == missing
    # one hidden text among visible ones hides nothing: the whole answer is the 404
    seen = thread(sy, ["IL", "SY", "US"])
    ok = sy.send(seen, AR2, "ar").index
    assert refused(404, il.translations, [(ok, "text"), (idx, "text")], "he") == missing
    # an entry without that text is missing too
    assert refused(404, il.translations, [(ok, "body")], "he") == missing
    # the supervisor sees everything; SY reads its own
    assert us.translation(idx, "text", "en")["original"]["text"] == AR
    assert sy.translation(idx, "text", "en")["translation"]["text"] == f"en: {AR}"
    r = il.http.get(
        "/api/v1/translations",
        params={"entry": idx, "field": "text", "to": "he"},
        headers=il.headers,
    )
    assert r.status_code == 404 and r.json()["detail"] == missing
    for bad in ({"t": "x:text", "to": "he"}, {"t": f"{ok}:text", "to": "fr"}, {"to": "he"}):
        r = il.http.get("/api/v1/translations", params=bad, headers=il.headers)
        assert r.status_code in (400, 422), (bad, r.text)


# ---- verified translations ---------------------------------------------------------------


def test_verified_translations(cell: Cell, three: Any, member: MakeMember, lt: Toy) -> None:
    sy, il, us = three
    tid = thread(sy, ["IL", "SY", "US"])
    idx = sy.send(tid, AR, "ar").index
    first = il.verify_translation(idx, "text", "he", "טיוטה ראשונה.").index
    lt.calls.clear()
    item = sy.translation(idx, "text", "he")
    assert item["translation"]["provenance"] == "verified"
    assert item["translation"]["by"] == {
        "member": "il-liaison",
        "party": "IL",
        "index": first,
        "time": item["translation"]["by"]["time"],
    }
    assert lt.translations() == []  # a verified translation needs no engine
    second = il.verify_translation(idx, "text", "he", HE).index
    item = us.translation(idx, "text", "he")
    assert item["translation"]["text"] == HE and item["superseded"] == 1
    assert item["translation"]["by"]["index"] == second
    with cell.engine.connect() as conn:
        rows = conn.execute(select(language_verified).order_by(language_verified.c.idx)).all()
    assert [r.idx for r in rows] == [first, second]
    assert {r.visibility for r in rows} == {",IL,SY,US,"}
    # the entry's visibility is the original's, exactly
    body = {"entry": idx, "field": "text", "lang": "he", "text": HE, "of_sha256": sha256_text(AR)}
    subj = kinds.translation_subject(idx)
    assert "visibility" in refused(400, il.post, kinds.VERIFIED, subj, ["IL", "US"], body)
    assert "subject" in refused(400, il.post, kinds.VERIFIED, "tr/1", ["IL", "SY", "US"], body)
    # what it translates must be the original's text
    wrong = {**body, "of_sha256": sha256_text("something else")}
    refused(409, il.post, kinds.VERIFIED, subj, ["IL", "SY", "US"], wrong)
    # bad texts are refused before anything is written
    for text in ("", "   ", "abc\u202edef", "a\x07b", "א" * 10_000):
        refused(400, il.verify_translation, idx, "text", "he", text)
    refused(400, il.verify_translation, idx, "text", "ar", "نفس اللغة")  # its own language
    # who: a duty officer reads but does not sign translations
    duty = member("IL", "il-duty", Role.DUTY_OFFICER)
    assert "head of delegation" in refused(403, duty.verify_translation, idx, "text", "he", HE)
    with cell.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(language_verified)).scalar() == 2


def test_a_translation_of_a_hidden_entry_is_refused_like_a_missing_one(three: Any) -> None:
    sy, il, _ = three
    hidden = thread(sy, ["SY", "US"])
    idx = sy.send(hidden, AR, "ar").index
    body = {"entry": idx, "field": "text", "lang": "he", "text": HE, "of_sha256": sha256_text(AR)}
    # (the log itself refuses a visibility without the author's party: IL names itself)
    every = ["IL", "SY", "US"]
    one = refused(404, il.post, kinds.VERIFIED, f"tr/{idx}", every, body)
    later = {**body, "entry": idx + 50}
    two = refused(404, il.post, kinds.VERIFIED, f"tr/{idx + 50}", every, later)
    assert one == two
    # SY's translation of it is visible to SY and US only
    sy_he = sy.verify_translation(idx, "text", "en", "We ask for clarification.").index
    entries = il.entries(sy_he, sy_he + 1)
    assert entries[0]["entry"] is None  # hidden from IL in the log too


# ---- the glossary ----------------------------------------------------------------------------


def test_the_life_of_a_glossary_term(cell: Cell, three: Any, member: MakeMember) -> None:
    sy, il, us = three
    v1 = sy.propose_term("separation-line", TEXTS, ("حسب اتفاقية 1974.", "ar")).index
    [t] = il.glossary()
    assert t["state"] == "proposed" and t["version"] == v1
    assert set(t["agreed"]) == {"SY"} and t["adopted"] is None
    assert t["note"] == {"text": "حسب اتفاقية 1974.", "lang": "ar"}
    il.agree_term("separation-line")
    refused(409, il.agree_term, "separation-line")  # twice
    # IL proposes a change: the agreements start over
    changed = {**TEXTS, "he": "קו הפרדת הכוחות"}
    v2 = il.propose_term("separation-line", changed).index
    t = sy.term("separation-line")
    assert t["state"] == "proposed" and t["version"] == v2 and set(t["agreed"]) == {"IL"}
    assert [h["index"] for h in t["history"]] == [v1, v2]
    assert "proposed again" in refused(409, us.agree_term, "separation-line", v1)
    refused(400, il.propose_term, "separation-line", changed)  # changes nothing
    sy.agree_term("separation-line")
    assert sy.term("separation-line")["state"] == "proposed"
    us.agree_term("separation-line")
    t = us.term("separation-line")
    assert t["state"] == "adopted" and t["adopted"]["texts"] == changed
    assert t["adopted"]["version"] == v2
    # a further change keeps the adopted version in force until it is adopted
    v3 = sy.propose_term("separation-line", TEXTS).index
    t = il.term("separation-line")
    assert t["state"] == "proposed" and t["version"] == v3
    assert t["adopted"]["texts"] == changed
    # shapes and rules
    refused(404, il.agree_term, "no-such-term", 5)
    refused(400, il.propose_term, "Bad Id", TEXTS)
    refused(400, il.propose_term, "x-term", {"ar": "خط", "he": "קו"})
    refused(400, il.propose_term, "x-term", {**TEXTS, "en": "two\nlines"})
    refused(400, il.propose_term, "x-term", {**TEXTS, "en": "a\u202eb"})
    body = {"term": "x-term", "texts": TEXTS}
    refused(400, il.post, kinds.PROPOSED, "g/x-term", ["IL", "US"], body)  # not to every party
    duty = member("SY", "sy-duty", Role.DUTY_OFFICER)
    refused(403, duty.propose_term, "x-term", TEXTS)
    refused(403, duty.agree_term, "separation-line")


def test_terms_kept_through_a_machine_translation(three: Any, lt: Toy) -> None:
    sy, il, us = three
    adopt(sy, il, us)
    tid = thread(sy, ["IL", "SY", "US"])
    voweled = "نطلبُ توضيحاً بشأن تحرّكات قربَ خطِّ الفصلِ صباحَ اليوم."
    idx = sy.send(tid, voweled, "ar").index
    item = il.translation(idx, "text", "he")
    [sent] = lt.translations()[-1]["body"]["q"]
    assert sent == "نطلبُ توضيحاً بشأن تحرّكات قربَ [0] صباحَ اليوم."
    assert item["translation"]["text"] == "he: نطلبُ توضيحاً بشأن تحرّكات قربَ קו ההפרדה صباحَ اليوم."
    assert item["translation"]["not_enforced"] == []
    [span] = item["original"]["terms"]
    assert voweled[span["start"] : span["end"]] == "خطِّ الفصلِ"
    assert span["equivalents"] == TEXTS and span["term"] == "separation-line"
    [tspan] = item["translation"]["terms"]
    assert tspan["lang"] == "he"
    # an engine that loses the placeholder: the text is shown, the term reported
    lt.mode = "drop"
    other = sy.send(tid, "وصلت دورية إلى خط الفصل.", "ar").index
    item = il.translation(other, "text", "en")
    assert item["translation"]["not_enforced"] == ["separation-line"]


# ---- the rebuild -----------------------------------------------------------------------------


def _snapshot(cell: Cell) -> dict[str, list[Any]]:
    out = {}
    with cell.engine.connect() as conn:
        for t in PROJECTED:
            if t.name.startswith(("language_", "glossary_")):
                out[t.name] = sorted(map(tuple, conn.execute(select(t))), key=repr)
    return out


def test_rebuild_gives_the_same_tables(cell: Cell, three: Any) -> None:
    sy, il, us = three
    adopt(sy, il, us)
    il.propose_term(
        "quneitra-crossing",
        {"ar": "معبر القنيطرة", "he": "מעבר קוניטרה", "en": "Quneitra crossing"},
    )
    tid = thread(sy, ["IL", "SY", "US"])
    idx = sy.send(tid, AR, "ar").index
    il.verify_translation(idx, "text", "he", "טיוטה.")
    il.verify_translation(idx, "text", "he", HE)
    live = _snapshot(cell)
    assert live["language_verified"] and live["glossary_terms"] and live["glossary_agreements"]
    with cell.engine.connect() as conn:
        cached = conn.execute(select(func.count()).select_from(language_cache)).scalar()
    rebuild(cell)
    assert _snapshot(cell) == live
    with cell.engine.connect() as conn:  # the cache is not a projection: it stays
        assert conn.execute(select(func.count()).select_from(language_cache)).scalar() == cached
