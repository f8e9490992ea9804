"""Translations in a real browser (Debian's Chromium through Playwright) against the app
served by uvicorn and configured to use the local LibreTranslate-compatible server: a
message in Arabic is shown to a Hebrew reader with a machine translation beside it; the
Israeli liaison officer signs a verified translation, which replaces it with its
provenance; the glossary page is proposed on and agreed in, and passes axe in Arabic and
Hebrew. Every page is watched for console errors and CSP violations (conftest.Browse)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.db import reading
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, post_as, register_member_key
from fusioncell.language import kinds
from fusioncell.ledger.entry import Author
from fusioncell.ledger.tables import log_entries
from tests.language.conftest import Toy
from tests.web.conftest import Browse, Served
from tests.web.test_browser import sign_in

WAIT = 15_000  # ms
AR = "نطلب توضيحاً بشأن تحركات قرب خط الفصل صباح اليوم."
HE = "אנו מבקשים הבהרה בנוגע לתנועות ליד קו ההפרדה הבוקר."
TERMS = {"ar": "خط الفصل", "he": "קו ההפרדה", "en": "separation line"}


def message(page: Any, text: str, lang: str) -> None:
    form = page.locator("#compose")
    form.locator("select[name=lang]").select_option(lang)
    form.locator("textarea[name=text]").fill(text)
    form.locator("button[type=submit]").click()
    expect(page.locator("article.msg p.text bdi", has_text=text)).to_have_count(1, timeout=WAIT)


def adopt_separation_line(cell: Cell) -> None:
    """The term agreed by a head of delegation of each party, signed with their own keys."""
    heads = {"IL": "il-head-g", "SY": "sy-head-g", "US": "us-head-g"}
    keys = {}
    for party, m in heads.items():
        do_add_member(cell, party, m, Role.HEAD_OF_DELEGATION)
        keys[party] = new_member_key(party, m)
        register_member_key(cell, party, m, keys[party].verifier.encode())
    body = {"term": "separation-line", "texts": TERMS}

    def post(party: str, kind: str, b: dict[str, Any]) -> int:
        k = keys[party]
        author = Author(party, heads[party], k.key_id_hex)
        return post_as(cell, k, author, kind, "g/separation-line", ["IL", "SY", "US"], b).index

    version = post("SY", kinds.PROPOSED, body)
    for party in ("IL", "US"):
        post(party, kinds.AGREED, {"term": "separation-line", "version": version})


def test_machine_then_verified_translation_for_a_hebrew_reader(
    served: Served, browse: Browse, lt: Toy
) -> None:
    adopt_separation_line(served.cell)
    sy = browse(locale="ar").page()
    sign_in(sy, served, "sy-liaison")
    sy.goto("/cell/new")
    form = sy.locator("#new-thread")
    form.locator("input[name=topic]").fill("تحركات قرب خط الفصل")
    form.locator("select[name=lang]").select_option("ar")
    with sy.expect_navigation(url=re.compile(r"/cell/t/"), timeout=WAIT):
        form.locator("button[type=submit]").click()
    thread_path = urlsplit(sy.url).path
    message(sy, AR, "ar")

    il_w = browse(locale="he")
    il = il_w.page()
    sign_in(il, served, "il-liaison")
    # the home page's latest entries show the message too, translated there first
    il.wait_for_selector("html[data-translate=ready]", state="attached")
    before = len(lt.translations())
    il.goto(thread_path)
    il.wait_for_selector("html[data-translate=ready]", state="attached")
    box = il.locator("article.msg .translation").first
    expect(box).to_have_attribute("data-provenance", "machine", timeout=WAIT)
    # the term is kept (its agreed Hebrew) and marked, in the translation and the original
    machine = AR.replace("خط الفصل", "קו ההפרדה")
    expect(box.locator("bdi[lang=he][dir=rtl]")).to_have_text(f"he: {machine}")
    expect(box.locator("mark.term")).to_have_text("קו ההפרדה")
    assert "separation line" in (box.locator("mark.term").get_attribute("title") or "")
    expect(il.locator("article.msg p.text mark.term")).to_have_text("خط الفصل")
    expect(box.locator(".provenance")).to_contain_text("LibreTranslate")
    assert len(lt.translations()) == before + 1  # one call for the page (topic and text)

    # the Israeli liaison officer signs a verified translation from the box
    box.locator("details.sign-translation summary").click()
    box.locator("textarea[name=text]").fill(HE)
    box.locator("button[type=submit]").click()
    expect(box).to_have_attribute("data-provenance", "verified", timeout=WAIT)
    expect(box.locator("bdi[lang=he]")).to_have_text(HE)
    expect(box.locator(".provenance")).to_contain_text("il-liaison")
    with reading(served.cell.engine) as conn:
        (vis,) = conn.execute(
            select(log_entries.c.visibility).where(log_entries.c.kind == "translation.verified")
        ).one()
    assert vis == ",IL,SY,US,"

    # a reader of another language, later: the verified one is shown (no engine call)
    il.reload()
    il.wait_for_selector("html[data-translate=ready]", state="attached")
    expect(il.locator("article.msg .translation").first).to_have_attribute(
        "data-provenance", "verified", timeout=WAIT
    )
    assert len(lt.translations()) == before + 1
    assert il_w.problems == []


def test_glossary_propose_agree_and_highlight(served: Served, browse: Browse, lt: Toy) -> None:
    il = browse(locale="he").page()
    sign_in(il, served, "il-liaison")
    il.goto("/glossary")
    form = il.locator("#glossary-new-form")
    form.locator("input[name=term]").fill("separation-line")
    form.locator("input[name=text-ar]").fill("خط الفصل")
    form.locator("input[name=text-he]").fill("קו ההפרדה")
    form.locator("input[name=text-en]").fill("separation line")
    form.locator("button[type=submit]").click()
    term = il.locator("#term-separation-line")
    expect(term).to_have_attribute("data-state", "proposed", timeout=WAIT)
    for member, locale in (("sy-liaison", "ar"), ("us-supervisor", "en")):
        p = browse(locale=locale).page()
        sign_in(p, served, member)
        p.goto("/glossary")
        agree = p.locator("#term-separation-line form[data-glossary=agree] button")
        if member == "us-supervisor":
            # a supervisor reads the glossary; the US agrees through its head or liaison
            expect(agree).to_have_count(0)
            continue
        agree.click()
        expect(p.locator("#term-separation-line li[data-party=SY]")).to_have_attribute(
            "data-agreed", "true", timeout=WAIT
        )


@pytest.mark.parametrize("lang", ["ar", "he"])
def test_glossary_page_passes_axe(served: Served, browse: Browse, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = browse(locale=lang).page()
    sign_in(page, served, "sy-liaison")
    page.goto("/glossary")
    form = page.locator("#glossary-new-form")
    form.locator("input[name=term]").fill("quneitra-crossing")
    form.locator("input[name=text-ar]").fill("معبر القنيطرة")
    form.locator("input[name=text-he]").fill("מעבר קוניטרה")
    form.locator("input[name=text-en]").fill("Quneitra crossing")
    form.locator("button[type=submit]").click()
    expect(page.locator("#term-quneitra-crossing")).to_have_count(1, timeout=WAIT)
    assert page.get_attribute("html", "dir") == "rtl"
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
