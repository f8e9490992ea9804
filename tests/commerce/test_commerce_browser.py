"""/commerce in a real browser (Debian's Chromium through Playwright) against the real app
served by uvicorn: the Syrian liaison officer proposes in Arabic, with a document (signed
with the device's key); the Israeli liaison officer states interest in Hebrew; the proposer
moves the stage; a proposal for Syria and the US alone is a 404 for Israel. Then axe over
a proposal's page in Arabic and Hebrew. Every page is watched for console errors and CSP
violations (conftest.Browse)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fusioncell.commerce.tables import commerce_interest, commerce_proposals
from fusioncell.db import reading
from fusioncell.ledger.tables import log_entries
from tests.web.conftest import Browse, Served
from tests.web.test_browser import sign_in

WAIT = 15_000  # ms
TITLE_AR = "ممر تجاري للمنتجات الزراعية"
TEXT_AR = "نقترح فتح ممر لتصدير الخضار والفواكه عبر معبر القنيطرة."
INTEREST_HE = "אנו מעוניינים; נבקש את לוח הזמנים המוצע."


def status(page: Any) -> Any:
    return page.locator("#commerce-status")


def ready(page: Any, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("html[data-commerce=ready]", state="attached")


def propose(page: Any, title: str, text: str, lang: str, parties: str, *, goto: bool = True) -> str:
    if goto:
        ready(page, "/commerce")
    form = page.locator("#commerce-new-form")
    form.locator(f"input[name=parties][value='{parties}']").check()
    form.locator("select[name=sector]").select_option("agriculture")
    form.locator("select[name=lang]").select_option(lang)
    form.locator("input[name=title]").fill(title)
    form.locator("textarea[name=description]").fill(text)
    with page.expect_navigation(url=re.compile(r"/commerce/p/[0-9a-f]{16}$"), timeout=WAIT):
        form.locator("button[type=submit]").click()
    page.wait_for_selector("html[data-commerce=ready]", state="attached")
    return urlsplit(page.url).path.rsplit("/", 1)[1]


def test_propose_in_arabic_interest_in_hebrew_and_move(
    served: Served, browse: Browse, tmp_path: Any
) -> None:
    cell = served.cell
    sy = browse(locale="ar").page()
    sign_in(sy, served, "sy-liaison")
    ready(sy, "/commerce")
    assert sy.get_attribute("html", "dir") == "rtl"
    form = sy.locator("#commerce-new-form")
    form.locator("textarea[name=partners]").fill("الشركة السورية للتصدير\nAgrexco")
    form.locator("input[name=amount]").fill("4000000")
    form.locator("input[name=currency]").fill("usd")
    study = tmp_path / "study.txt"
    study.write_text("Feasibility study", encoding="utf-8")
    form.locator("input[name=documents]").set_input_files(str(study))
    # the value's amount without its currency is stopped in the page, before signing
    form.locator("input[name=currency]").fill("")
    form.locator("button[type=submit]").click()
    expect(status(sy)).to_have_attribute("data-state", "failed")
    form.locator("input[name=currency]").fill("usd")
    pid = propose(sy, TITLE_AR, TEXT_AR, "ar", "IL,SY,US", goto=False)
    expect(sy.locator("#p-title bdi[lang=ar][dir=rtl]")).to_have_text(TITLE_AR)
    expect(sy.locator("#commerce-proposal")).to_have_attribute("data-stage", "proposed")
    expect(sy.locator("ul.documents a")).to_have_text("study.txt")
    with reading(cell.engine) as conn:
        row = conn.execute(select(commerce_proposals)).one()
        assert (row.id, row.party, row.amount, row.currency) == (pid, "SY", 4_000_000, "USD")
        (author,) = conn.execute(
            select(log_entries.c.member).where(log_entries.c.kind == "commerce.proposal.submitted")
        ).one()
        assert author == "sy-liaison"

    # Israel's liaison officer, in Hebrew, states interest
    il_w = browse(locale="he")
    il = il_w.page()
    sign_in(il, served, "il-liaison")
    ready(il, "/commerce")
    il.locator(f"tr[data-proposal='{pid}'] a").click()
    il.wait_for_selector("html[data-commerce=ready]", state="attached")
    iform = il.locator("#commerce-interest-form")
    iform.locator("select[name=level]").select_option("interested")
    iform.locator("select[name=lang]").select_option("he")
    iform.locator("textarea[name=text]").fill(INTEREST_HE)
    iform.locator("button[type=submit]").click()
    item = il.locator("ol.interest-history li[data-party=IL]")
    expect(item).to_have_count(1, timeout=WAIT)
    expect(item.locator("bdi[lang=he][dir=rtl]")).to_have_text(INTEREST_HE)
    expect(il.locator("ul.interest-now li[data-party=IL]")).to_have_attribute(
        "data-level", "interested"
    )

    # the proposer revises it (a new version: the first stays), keeping the document
    ready(sy, f"/commerce/p/{pid}")
    sy.locator("#commerce-revise summary").click()
    rform = sy.locator("#commerce-revise-form")
    expect(rform.locator("input[name=currency]")).to_have_value("USD")
    rform.locator("textarea[name=description]").fill(TEXT_AR + " المرحلة الأولى: الفحص المشترك.")
    rform.locator("button[type=submit]").click()
    expect(sy.locator("#commerce-versions li")).to_have_count(1, timeout=WAIT)
    sy.wait_for_selector("html[data-commerce=ready]", state="attached")
    expect(sy.locator("#commerce-proposal .text")).to_contain_text("المرحلة الأولى")
    expect(sy.locator("ul.documents a")).to_have_text("study.txt")

    # the proposer moves it under review, then agrees in principle, with a text in Arabic
    sform = sy.locator("#commerce-stage-form")
    sform.locator("select[name=stage]").select_option("under_review")
    sform.locator("button[type=submit]").click()
    expect(sy.locator("#commerce-proposal")).to_have_attribute(
        "data-stage", "under_review", timeout=WAIT
    )
    sy.wait_for_selector("html[data-commerce=ready]", state="attached")
    sform = sy.locator("#commerce-stage-form")
    sform.locator("select[name=stage]").select_option("agreed_in_principle")
    sform.locator("select[name=lang]").select_option("ar")
    sform.locator("textarea[name=text]").fill("اتفاق مبدئي بعد اجتماع الخلية.")
    sform.locator("button[type=submit]").click()
    expect(sy.locator("#commerce-proposal")).to_have_attribute(
        "data-stage", "agreed_in_principle", timeout=WAIT
    )
    expect(sy.locator("ol.stage-history li")).to_have_count(3)
    with reading(cell.engine) as conn:
        assert conn.execute(select(commerce_interest.c.lang)).scalar() == "he"

    # a proposal for Syria and the US alone: Israel gets the same 404 as for no proposal
    hidden = propose(sy, "تبادل تجاري", "للولايات المتحدة فقط.", "ar", "SY,US")
    r = il.goto(f"/commerce/p/{hidden}")
    assert r is not None and r.status == 404
    ready(il, "/commerce")
    expect(il.locator(f"tr[data-proposal='{hidden}']")).to_have_count(0)
    assert [re.search(r"status of (\d+)", p).group(1) for p in il_w.problems] == ["404"]
    il_w.problems.clear()


@pytest.mark.parametrize("lang", ["ar", "he"])
def test_proposal_page_passes_axe(served: Served, browse: Browse, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = browse(locale=lang).page()
    sign_in(page, served, "sy-liaison")
    propose(page, TITLE_AR, TEXT_AR, "ar", "IL,SY,US")
    assert page.get_attribute("html", "dir") == "rtl"
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    ready(page, "/commerce")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
