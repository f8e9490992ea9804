"""/search in a real browser (Debian's Chromium through Playwright) against the real app
served by uvicorn: a query in Arabic without vowel marks finds a vocalised text with its
prefixes, marked with <mark>, and the result's link opens the message; a text of a thread
Israel is not in is never shown to Israel, not even as a count; axe over /search with
results in Arabic and Hebrew. Every page is watched for console errors and CSP
violations (conftest.Browse)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from fusioncell.identity.devices import new_member_key, post_as, register_member_key
from fusioncell.ledger.entry import Author
from fusioncell.messaging import kinds
from tests.web.conftest import Browse, Served
from tests.web.test_browser import sign_in

# Vocalised, with the conjunction and the article: وَالْمُفَاوَضَاتُ
VOCALISED = "نُرَحِّبُ بِاسْتِئْنَافِ وَالْمُفَاوَضَاتِ حَوْلَ الْمَعْبَرِ غَدًا."
HIDDEN = "مفاوضات سرية بين سوريا والولايات المتحدة حول المعبر."
HEBREW = "אנו מבקשים הבהרה על המחסום בצפון."


def seed(served: Served) -> dict[str, Any]:
    """Two threads written as Syria's liaison officer: one with Israel, one without."""
    cell = served.cell
    key = new_member_key("SY", "sy-liaison")
    register_member_key(cell, "SY", "sy-liaison", key.verifier.encode(), admin=False)
    author = Author("SY", "sy-liaison", key.key_id_hex)
    out: dict[str, Any] = {}
    for tid, parties, texts in (
        ("search-open", ["IL", "SY", "US"], [(VOCALISED, "ar"), (HEBREW, "he")]),
        ("search-closed", ["SY", "US"], [(HIDDEN, "ar")]),
    ):
        topic = {"text": "المعبر", "lang": "ar"}
        body = {"thread": tid, "workstream": "general", "topic": topic, "parties": parties}
        post_as(cell, key, author, kinds.THREAD_OPENED, kinds.subject(tid), parties, body)
        for t, lang in texts:
            done = post_as(
                cell,
                key,
                author,
                kinds.POSTED,
                kinds.subject(tid),
                parties,
                {"thread": tid, "urgency": "ROUTINE", "text": t, "lang": lang},
            )
            out[t] = f"/cell/t/{tid}#m-{done.index}"
    return out


def search(page: Any, q: str) -> None:
    page.goto("/search")
    page.fill("#search-q", q)
    with page.expect_navigation():
        page.click("#search-form button[type=submit]")


def test_arabic_without_marks_finds_the_vocalised_text_and_opens_it(
    served: Served, browse: Browse
) -> None:
    links = seed(served)
    il = browse(locale="ar").page()
    sign_in(il, served, "il-liaison")
    search(il, "المفاوضات")
    results = il.locator("li.search-result")
    expect(results).to_have_count(1)  # the thread without Israel is never shown
    expect(il.locator("#search-total")).to_contain_text("1")
    mark = results.locator("bdi[lang=ar][dir=rtl] mark")
    expect(mark).to_have_text("وَالْمُفَاوَضَاتِ")
    link = results.locator("a").first
    assert link.get_attribute("href") == links[VOCALISED]
    with il.expect_navigation():
        link.click()
    path, fragment = links[VOCALISED].split("#")
    assert (urlsplit(il.url).path, urlsplit(il.url).fragment) == (path, fragment)
    expect(il.locator(f"#{fragment}")).to_be_visible()
    expect(il.locator("body")).to_contain_text("حَوْلَ الْمَعْبَرِ")

    # Only hidden texts hold "سرية": Israel sees exactly what a word found nowhere gives.
    search(il, "سرية ")
    expect(il.locator("#search-none")).to_be_visible()
    hidden_page = il.locator("#search").inner_html()
    search(il, "zzzqqq")
    assert il.locator("#search").inner_html() == hidden_page.replace("سرية ", "zzzqqq")

    # Syria, in the thread, finds both.
    sy = browse(locale="en").page()
    sign_in(sy, served, "sy-liaison")
    search(sy, "مفاوضات")
    expect(sy.locator("li.search-result")).to_have_count(2)


@pytest.mark.parametrize(("lang", "q"), [("ar", "المفاوضات"), ("he", "הבהרה")])
def test_search_page_passes_axe(served: Served, browse: Browse, lang: str, q: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    seed(served)
    page = browse(locale=lang).page()
    sign_in(page, served, "il-liaison")
    search(page, q)
    assert page.get_attribute("html", "dir") == "rtl"
    expect(page.locator("li.search-result")).to_have_count(1)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
