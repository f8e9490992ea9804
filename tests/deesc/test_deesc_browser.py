"""/deesc in a real browser (Debian's Chromium through Playwright) against the real app
served by uvicorn: an incident reported in Arabic, a clarification requested in Hebrew and
answered; a notification that conflicts with an agreed zone, and a place out of range
refused clearly. Every write is signed in the browser with the member's device key; every
page is watched for console errors and CSP violations (conftest.Browse)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from fusioncell.db import reading
from fusioncell.deesc import kinds, zones
from fusioncell.deesc.tables import deesc_clarifications
from fusioncell.ledger.tables import log_entries
from tests.deesc.test_deesc import BUFFER, zone_doc
from tests.web.conftest import Browse, Served
from tests.web.test_browser import sign_in

WAIT = 15_000  # ms
INCIDENT_AR = "قصف مدفعي على أطراف القرية الشمالية"
QUESTION_HE = "באיזו שעה בדיוק התרחשה ההפגזה?"
ANSWER_AR = "حوالي الساعة السابعة صباحاً"


def ready(page: Any, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("html[data-deesc=ready]", state="attached")


def local(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def test_incident_in_arabic_clarified_in_hebrew(served: Served, browse: Browse) -> None:
    cell = served.cell
    sy = browse(locale="ar").page()
    sign_in(sy, served, "sy-liaison")
    ready(sy, "/deesc")
    assert sy.get_attribute("html", "dir") == "rtl"
    expect(sy.locator("#deesc-illustrative")).to_be_visible()
    f = sy.locator("#deesc-incident-form")
    f.locator("input[name=time]").fill(local(datetime.now(UTC) - timedelta(hours=3)))
    f.locator("select[name=time_precision]").select_option("hour")
    f.locator("select[name=category]").select_option("shelling")
    f.locator("input[name=lon]").fill("35.85")
    f.locator("input[name=lat]").fill("33.1")
    f.locator("textarea[name=description]").fill(INCIDENT_AR)
    f.locator("textarea[name=actors]").fill("وحدة مدفعية")
    f.locator("input[name=injured]").fill("2")
    f.locator("select[name=lang]").select_option("ar")
    with sy.expect_navigation(url=re.compile(r"/deesc/items/\d+$")):
        f.locator("button[type=submit]").click()
    index = int(sy.url.rsplit("/", 1)[1])
    expect(sy.locator("#deesc-item .text")).to_have_text(INCIDENT_AR)
    with reading(cell.engine) as conn:
        author = conn.execute(
            select(log_entries.c.member).where(log_entries.c.idx == index)
        ).scalar()
    assert author == "sy-liaison"

    il = browse(locale="he").page()
    sign_in(il, served, "il-liaison")
    ready(il, f"/deesc/items/{index}")
    assert il.get_attribute("html", "dir") == "rtl"
    c = il.locator("#deesc-clarify-form")
    c.locator("textarea[name=question]").fill(QUESTION_HE)
    c.locator("select[name=lang]").select_option("he")
    with il.expect_navigation():
        c.locator("button[type=submit]").click()
    il.wait_for_selector("html[data-deesc=ready]", state="attached")
    expect(il.locator("#deesc-clarifications article .question")).to_have_text(QUESTION_HE)
    expect(il.locator("#deesc-clarifications article")).to_have_attribute("data-state", "open")

    # SY is still on the incident's page, which is live: it reloads itself with the question
    # and its answer form (going to it here would race that reload and be aborted)
    a = sy.locator("form.deesc-answer")
    expect(a).to_be_visible(timeout=WAIT)
    sy.wait_for_selector("html[data-deesc=ready]", state="attached")
    a.locator("textarea[name=answer]").fill(ANSWER_AR)
    a.locator("select[name=lang]").select_option("ar")
    with sy.expect_navigation():
        a.locator("button[type=submit]").click()
    sy.wait_for_selector("html[data-deesc=ready]", state="attached")
    expect(sy.locator("#deesc-clarifications article .answer")).to_contain_text(ANSWER_AR)
    # and IL's page, live too, reloads itself with the answer
    expect(il.locator("#deesc-clarifications article")).to_have_attribute(
        "data-state", "answered", timeout=WAIT
    )
    with reading(cell.engine) as conn:
        row = conn.execute(select(deesc_clarifications)).one()
    assert (row.lang, row.answer_lang, row.answered_by) == ("he", "ar", "sy-liaison")


def test_notification_that_conflicts_with_a_zone(served: Served, browse: Browse) -> None:
    cell = served.cell
    zones.load(cell, zone_doc("buffer", BUFFER, "Buffer zone"), kinds.AGREED)
    w = browse(locale="en")
    il = w.page()
    sign_in(il, served, "il-liaison")
    ready(il, "/deesc")
    expect(il.locator("#deesc-map svg .map-zone")).to_have_count(1)
    expect(il.locator("#deesc-illustrative")).to_contain_text("illustrative only")
    f = il.locator("#deesc-activity-form")
    start = datetime.now(UTC) + timedelta(days=5)
    f.locator("select[name=activity_type]").select_option("patrol")
    f.locator("input[name=start]").fill(local(start))
    f.locator("input[name=end]").fill(local(start + timedelta(hours=3)))
    f.locator("textarea[name=description]").fill("Patrol along the road")
    # a latitude out of range is refused by the log, clearly, and nothing is written
    f.locator("input[name=lon]").fill("35.85")
    f.locator("input[name=lat]").fill("95")
    size = cell.ledger.size()
    # the browser's own range check would stop the form: submit it as a program would
    il.eval_on_selector("#deesc-activity-form", "f => f.noValidate = true")
    f.locator("button[type=submit]").click()
    expect(il.locator("#deesc-status")).to_have_attribute("data-state", "failed", timeout=WAIT)
    expect(il.locator("#deesc-status")).to_contain_text("latitude 95 is out of range")
    assert cell.ledger.size() == size
    assert [re.search(r"status of (\d+)", p).group(1) for p in w.problems] == ["400"]  # type: ignore[union-attr]
    w.problems.clear()

    f.locator("input[name=lat]").fill("33.1")
    with il.expect_navigation(url=re.compile(r"/deesc/items/\d+$")):
        f.locator("button[type=submit]").click()
    expect(il.locator("#deesc-conflicts li[data-with=zone][data-ref=buffer]")).to_be_visible()

    us = browse(locale="en").page()
    sign_in(us, served, "us-supervisor")
    ready(us, "/deesc")
    expect(us.locator("#deesc-timeline .deesc-conflict")).to_have_count(1)
    expect(us.locator("#deesc-map svg .map-activity")).to_have_count(1)
