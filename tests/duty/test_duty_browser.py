"""/duty in a real browser (Debian's Chromium through Playwright) against the real app served
by uvicorn, in Arabic: the Syrian party admin drafts a roster from a rotation, publishes a
pasted one (signed with the admin's device key), sees an overlapping one refused clearly;
the head of delegation asks to take the duty, the admin approves, the new holder writes a
hand-over note; the supervisor, in English, sees it all. Then axe over /duty in Arabic and
Hebrew. Every page is watched for console errors and CSP violations (conftest.Browse)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from fusioncell.db import reading
from fusioncell.duty.queries import on_duty
from fusioncell.duty.tables import duty_handovers, duty_shifts
from fusioncell.ledger.tables import log_entries
from tests.web.conftest import Browse, Served
from tests.web.test_browser import sign_in

WAIT = 15_000  # ms
DAMASCUS = ZoneInfo("Asia/Damascus")
NOTE_AR = "المعبر الشمالي مغلق حتى الصباح؛ تابع الرسالة الأخيرة من الجانب الإسرائيلي."


def local(t: datetime) -> str:
    return t.astimezone(DAMASCUS).strftime("%Y-%m-%d %H:%M")


def status(page: Any) -> Any:
    return page.locator("#duty-status")


def ready(page: Any, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("html[data-duty=ready]", state="attached")


def test_roster_take_and_hand_over_in_arabic(served: Served, browse: Browse) -> None:
    cell = served.cell
    admin_w = browse(locale="ar")
    admin = admin_w.page()
    sign_in(admin, served, "sy-admin")
    ready(admin, "/duty")
    assert admin.get_attribute("html", "dir") == "rtl"
    expect(admin.locator("#duty-board tr[data-party=SY] .duty-now em")).to_be_visible()

    # a rotation fills the table, in Damascus time, from the next full hour
    admin.check("#duty-rotation input[name=members][value=sy-liaison]")
    admin.check("#duty-rotation input[name=members][value=sy-head]")
    admin.fill("#duty-rotation input[name=count]", "3")
    admin.click("#duty-rotation button[type=submit]")
    table = admin.locator("#duty-publish-form textarea[name=table]")
    expect(table).to_have_value(re.compile(r"^sy-head, .+\nsy-liaison, .+\nsy-head, .+\n$"))

    # a pasted table that overlaps is refused, clearly, and nothing is written
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    size = cell.ledger.size()
    table.fill(
        f"sy-liaison, {local(now)}, {local(now + timedelta(hours=8))}\n"
        f"sy-head, {local(now + timedelta(hours=7))}, {local(now + timedelta(hours=16))}\n"
    )
    admin.click("#duty-publish-form button[type=submit]")
    expect(status(admin)).to_have_attribute("data-state", "failed", timeout=WAIT)
    expect(status(admin)).to_contain_text("overlap")
    assert cell.ledger.size() == size
    assert [re.search(r"status of (\d+)", p).group(1) for p in admin_w.problems] == ["400"]
    admin_w.problems.clear()

    # the right one is signed with the admin's device key and published
    table.fill(
        f"sy-liaison, {local(now)}, {local(now + timedelta(hours=8))}\n"
        f"sy-head, {local(now + timedelta(hours=8))}, {local(now + timedelta(hours=16))}\n"
    )
    admin.click("#duty-publish-form button[type=submit]")
    expect(status(admin)).to_have_attribute("data-state", "ok", timeout=WAIT)
    expect(admin.locator("#duty-roster tbody tr[data-shift]")).to_have_count(2)
    expect(admin.locator("#duty-board tr[data-party=SY] .duty-now strong")).to_have_text(
        "sy-liaison"
    )
    expect(admin.locator("#duty-board tr[data-party=SY] .duty-next .member")).to_have_text(
        "sy-head"
    )
    with reading(cell.engine) as conn:
        (author,) = conn.execute(
            select(log_entries.c.member).where(log_entries.c.kind == "duty.roster.published")
        ).one()
        assert author == "sy-admin"
        assert on_duty(conn, "SY", datetime.now(UTC)) == "sy-liaison"

    # the head of delegation asks to take the duty now; the admin approves
    head = browse(locale="ar").page()
    sign_in(head, served, "sy-head")
    ready(head, "/duty")
    head.click("#duty-take-form button[type=submit]")
    expect(status(head)).to_have_attribute("data-state", "ok", timeout=WAIT)
    expect(head.locator("#duty-requests li[data-state=pending]")).to_have_count(1)
    ready(admin, "/duty")
    admin.click("#duty-requests button[data-duty-decide=approve]")
    expect(admin.locator("#duty-requests li[data-state=approved]")).to_have_count(1, timeout=WAIT)
    expect(admin.locator("#duty-board tr[data-party=SY] .duty-now strong")).to_have_text("sy-head")
    with reading(cell.engine) as conn:
        assert on_duty(conn, "SY", datetime.now(UTC)) == "sy-head"
        assert conn.execute(select(duty_shifts).where(duty_shifts.c.party == "SY")).all()

    # the new holder writes the hand-over note, in Arabic, to the outgoing holder
    ready(head, "/duty")
    head.fill("#duty-note-form textarea[name=text]", NOTE_AR)
    head.select_option("#duty-note-form select[name=lang]", "ar")
    head.select_option("#duty-note-form select[name=to]", "sy-liaison")
    head.click("#duty-note-form button[type=submit]")
    note = head.locator("#duty-handovers li", has_text="المعبر الشمالي")
    expect(note).to_be_visible(timeout=WAIT)
    expect(note.locator("bdi[lang=ar][dir=rtl]")).to_have_text(NOTE_AR)
    # a text the log would refuse is stopped in the page, before signing
    head.fill("#duty-note-form textarea[name=text]", "abc\u202edef")
    head.click("#duty-note-form button[type=submit]")
    expect(status(head)).to_have_attribute("data-state", "failed")
    expect(status(head)).to_contain_text("U+202E")
    with reading(cell.engine) as conn:
        assert len(conn.execute(select(duty_handovers)).all()) == 1

    # the supervisor, in English, sees SY's holder on the home page and its notes
    us = browse(locale="en").page()
    sign_in(us, served, "us-supervisor")
    us.wait_for_selector("html[data-duty=ready]", state="attached")
    expect(us.locator("#duty-board tr[data-party=SY] .duty-now strong")).to_have_text("sy-head")
    ready(us, "/duty?party=SY")
    expect(us.locator("#duty-handovers li", has_text="المعبر الشمالي")).to_be_visible()
    expect(us.locator("#duty-publish")).to_have_count(0)


@pytest.mark.parametrize("lang", ["ar", "he"])
def test_duty_page_passes_axe(served: Served, browse: Browse, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = browse(locale=lang).page()
    sign_in(page, served, "sy-admin")
    ready(page, "/duty")
    page.check("#duty-rotation input[name=members][value=sy-admin]")
    page.check("#duty-rotation input[name=members][value=sy-liaison]")
    page.click("#duty-rotation button[type=submit]")
    expect(page.locator("#duty-publish-form textarea[name=table]")).not_to_have_value("")
    page.click("#duty-publish-form button[type=submit]")
    expect(status(page)).to_have_attribute("data-state", "ok", timeout=WAIT)
    expect(page.locator("#duty-roster tbody tr[data-shift]")).not_to_have_count(0)
    page.locator("#duty-roster details.swap summary").first.click()
    assert page.get_attribute("html", "dir") == "rtl"
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.goto("/")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
