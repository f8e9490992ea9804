"""/understandings in a real browser (Debian's Chromium through Playwright) against the
real app served by uvicorn: the supervisor, in English, sets a milestone and records a
verification report; Israel's head of delegation, in Hebrew, changes the status with
evidence; the page shows the history and the timeline chart. Then axe over the list and
an understanding's page in Arabic and Hebrew. Every page is watched for console errors and
CSP violations (conftest.Browse)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fusioncell.authz import Role
from fusioncell.db import reading
from fusioncell.identity.accounts import do_add_member
from fusioncell.ledger.tables import log_entries
from fusioncell.understandings.tables import understanding_statuses
from tests.web.conftest import Browse, Served
from tests.web.test_browser import sign_in

WAIT = 15_000  # ms
SEC = "security-arrangements"
HE_REASON = "הצד השני לא עמד בהסדרים שסוכמו; ראו את אמנת התא."


def ready(page: Any, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("html[data-understandings=ready]", state="attached")


def test_supervisor_sets_a_milestone_and_a_head_changes_the_status(
    served: Served, browse: Browse
) -> None:
    us = browse(locale="en").page()
    sign_in(us, served, "us-supervisor")
    ready(us, f"/understandings/{SEC}")
    us.locator("#milestone-new summary").click()
    form = us.locator("#understanding-milestone-form")
    form.locator("input[name=title]").fill("Joint map of the buffer zone")
    form.locator("input[name=due]").fill("2030-06-01T10:00")
    form.locator("select[name=lang]").select_option("en")
    form.locator("button[type=submit]").click()
    expect(us.locator("ol.milestones li[data-state=open]")).to_have_count(1, timeout=WAIT)
    us.wait_for_selector("html[data-understandings=ready]", state="attached")
    expect(us.locator("#understanding-timeline g.tl-row")).to_have_count(1)

    vform = us.locator("#understanding-verify-form")
    vform.locator("select[name=assessment]").select_option("concerns")
    vform.locator("textarea[name=findings]").fill("The map is not agreed yet.")
    # on track or concerns without evidence is stopped in the page, before signing
    vform.locator("button[type=submit]").click()
    expect(us.locator("#understandings-status")).to_have_attribute("data-state", "failed")
    vform.locator("input[name=evidence]").fill("0")
    vform.locator("button[type=submit]").click()
    expect(us.locator("ol.verifications li[data-assessment=concerns]")).to_have_count(
        1, timeout=WAIT
    )

    do_add_member(served.cell, "IL", "il-head", Role.HEAD_OF_DELEGATION)
    il_w = browse(locale="he")
    il = il_w.page()
    sign_in(il, served, "il-head")
    ready(il, "/understandings")
    assert il.get_attribute("html", "dir") == "rtl"
    il.locator(f"tr[data-understanding='{SEC}'] a").click()
    il.wait_for_selector("html[data-understandings=ready]", state="attached")
    sform = il.locator("#understanding-status-form")
    sform.locator("select[name=status]").select_option("disputed")
    sform.locator("select[name=lang]").select_option("he")
    sform.locator("textarea[name=reason]").fill(HE_REASON)
    sform.locator("button[type=submit]").click()  # disputed needs evidence: stopped
    expect(il.locator("#understandings-status")).to_have_attribute("data-state", "failed")
    sform.locator("input[name=evidence]").fill("0")
    sform.locator("button[type=submit]").click()
    expect(il.locator("#understanding")).to_have_attribute("data-status", "disputed", timeout=WAIT)
    item = il.locator("ol.status-history li[data-status=disputed]")
    expect(item.locator("bdi[lang=he][dir=rtl]")).to_have_text(HE_REASON)
    expect(item.locator("[data-entry='0']")).to_have_count(1)
    expect(il.locator("#understanding-timeline")).to_have_attribute("data-dir", "rtl")
    expect(il.locator("#understanding-timeline g.tl-row.tl-open")).to_have_count(1)
    with reading(served.cell.engine) as conn:
        row = conn.execute(select(understanding_statuses)).one()
        assert (row.status, row.member, row.lang) == ("disputed", "il-head", "he")
        kinds = set(conn.execute(select(log_entries.c.kind)).scalars())
    assert {"understanding.milestone.set", "understanding.verification.recorded"} <= kinds


@pytest.mark.parametrize("lang", ["ar", "he"])
def test_understanding_pages_pass_axe(served: Served, browse: Browse, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = browse(locale=lang).page()
    sign_in(page, served, "us-supervisor")
    ready(page, f"/understandings/{SEC}")
    page.locator("#milestone-new summary").click()
    form = page.locator("#understanding-milestone-form")
    form.locator("input[name=title]").fill("خريطة مشتركة للمنطقة العازلة")
    form.locator("select[name=lang]").select_option("ar")
    form.locator("input[name=due]").fill("2030-06-01T10:00")
    form.locator("button[type=submit]").click()
    expect(page.locator("#understanding-timeline g.tl-row")).to_have_count(1, timeout=WAIT)
    page.wait_for_selector("html[data-understandings=ready]", state="attached")
    assert page.get_attribute("html", "dir") == "rtl"
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    ready(page, "/understandings")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
