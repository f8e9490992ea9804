"""A query in one language finds a text through its verified or machine translation into
that language: shown as a translation, linking to the original, readable by exactly the
original's readers; machine rows come back after a rebuild once shown again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fusioncell.cell import Cell
from fusioncell.language.client import LanguageClient
from fusioncell.projections import rebuild
from fusioncell.search.tables import search_rows
from tests.language.conftest import MakeMember, Toy

AR = "نطلب توضيحاً بشأن تحركات قرب خط الفصل صباح اليوم."
HE = "אנו מבקשים הבהרה בנוגע לתנועות ליד קו ההפרדה הבוקר."


def find(c: LanguageClient, q: str) -> dict[str, Any]:
    out: dict[str, Any] = c._ok(
        c.http.get("/api/v1/search", params={"q": q}, headers=c.headers)
    ).json()
    return out


def test_a_verified_translation_is_found_in_its_language(member: MakeMember) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    tid, _ = sy.open_thread("deescalation", "تحركات", "ar", ["IL", "SY", "US"])
    idx = sy.send(tid, AR, "ar").index
    assert find(sy, "הבהרה")["total"] == 0
    v = il.verify_translation(idx, "text", "he", HE).index
    out = find(sy, "הבהרה")
    assert out["total"] == 1
    r = out["results"][0]
    assert (r["source"], r["lang"], r["of"], r["index"]) == ("verified", "he", idx, v)
    assert r["kind"] == "cell.message.posted" and r["link"] == f"/cell/t/{tid}#m-{idx}"
    assert r["member"] == "il-liaison"
    assert any(s["mark"] for s in r["snippet"])


def test_a_translation_is_hidden_like_its_original(member: MakeMember) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    us = member("US", "us-liaison")
    tid, _ = sy.open_thread("general", "خاص", "ar", ["SY", "US"])
    idx = sy.send(tid, AR, "ar").index
    us.verify_translation(idx, "text", "he", HE)
    us.translations([(idx, "text")], "en")  # a machine translation, cached and indexed
    assert find(us, "הבהרה")["total"] == 1
    assert find(us, "en ")["total"] == 1  # the toy engine's "en: ..." translation
    for q in ("הבהרה", "en ", "توضيح"):
        assert find(il, q) == {**find(il, "zzzqqq"), "query": q}


def test_machine_translations_are_found_and_come_back(
    cell: Cell, member: MakeMember, lt: Toy
) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    tid, _ = sy.open_thread("deescalation", "تحركات", "ar", ["IL", "SY", "US"])
    idx = sy.send(tid, AR, "ar").index
    assert find(il, "he ")["total"] == 0
    il.translation(idx, "text", "he")
    out = find(il, "he ")
    assert out["total"] == 1
    r = out["results"][0]
    assert (r["source"], r["lang"], r["of"], r["index"]) == ("machine", "he", idx, idx)
    assert r["link"] == f"/cell/t/{tid}#m-{idx}"

    def machine() -> list[Any]:
        with cell.engine.connect() as c:
            return [
                tuple(x)
                for x in c.execute(select(search_rows).where(search_rows.c.source == "machine"))
            ]

    before = machine()
    il.translation(idx, "text", "he")  # shown again: nothing to write
    assert machine() == before
    rebuild(cell)
    assert machine() == []  # not in the log: dropped with the projection ...
    il.translation(idx, "text", "he")  # ... and back (from the cache) when shown again
    assert machine() == before
    assert len(lt.translations()) == 1  # the cache answered the later ones
