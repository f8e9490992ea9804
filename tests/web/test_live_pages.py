"""Pages that show a workstream are live (static/js/cell.js, LivePage): when another member
writes what a page shows, the page is drawn again; while the reader is writing in one of
its forms, a notice offers the changes instead of throwing the text away."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import Browse, Served
from tests.web.test_browser import sign_in

WAIT = 15_000  # ms


def ready(page: Any, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("html[data-intel=ready]", state="attached")
    page.wait_for_selector("html[data-cell=ready]", state="attached")


def issue(page: Any, title: str) -> str:
    """IL issues a report released to everyone, from its own page."""
    ready(page, "/intel")
    form = "#intel-issue"
    page.check(f"{form} input[name=rel][value=SY]")
    page.fill(f"{form} input[name=title]", title)
    page.fill(f"{form} textarea[name=summary]", "תנועה צפונה")
    page.fill(f"{form} textarea[name=body]", "שיירה של שלוש משאיות נעה צפונה.")
    page.select_option(f"{form} select[name=lang]", "he")
    page.fill(f"{form} input[name=start]", "2026-11-26T08:00")
    page.fill(f"{form} input[name=end]", "2026-11-26T09:00")
    with page.expect_navigation(url=re.compile(r"/intel/r/[0-9a-f]{16}$")):
        page.click(f"{form} button[type=submit]")
    return str(page.url.rsplit("/", 1)[1])


def test_a_list_is_drawn_again_unless_the_reader_is_writing(served: Served, browse: Browse) -> None:
    il = browse(locale="he").page()
    sign_in(il, served, "il-liaison")
    sy = browse(locale="ar").page()
    sign_in(sy, served, "sy-liaison")
    ready(sy, "/intel")
    assert sy.get_attribute("main", "data-live") == "intel. system."

    first = issue(il, "שיירה ליד הקו")
    expect(sy.locator(f"#intel-reports tr[data-report='{first}']")).to_have_count(1, timeout=WAIT)
    expect(sy.locator("#live-notice")).to_be_hidden()

    # SY starts a request for information: the next report does not wipe its words.
    sy.fill("#intel-rfi-form textarea[name=text]", "نطلب تفاصيل عن مسار القافلة.")
    second = issue(il, "שיירה שנייה")
    expect(sy.locator("#live-notice")).to_be_visible(timeout=WAIT)
    expect(sy.locator("#intel-rfi-form textarea[name=text]")).to_have_value(
        "نطلب تفاصيل عن مسار القافلة."
    )
    expect(sy.locator(f"#intel-reports tr[data-report='{second}']")).to_have_count(0)
    sy.click("#live-notice button")
    sy.wait_for_selector("html[data-intel=ready]", state="attached")
    expect(sy.locator(f"#intel-reports tr[data-report='{second}']")).to_have_count(1)


def test_a_report_page_follows_its_own_report_only(served: Served, browse: Browse) -> None:
    il = browse(locale="he").page()
    sign_in(il, served, "il-liaison")
    report = issue(il, "שיירה ליד הקו")
    us = browse(locale="en").page()
    sign_in(us, served, "us-supervisor")
    ready(us, f"/intel/r/{report}")
    assert us.get_attribute("main", "data-live-subject") == f"intel/{report}"
    us.evaluate("window.__marker = 1")
    # Another report is not this page's: it stays as it is (no reload, the marker survives).
    issue(il, "דיווח אחר")
    il.goto(f"/intel/r/{report}")
    il.wait_for_selector("html[data-intel=ready]", state="attached")
    # The originator corrects this one: the supervisor's page shows the new version.
    il.fill("#intel-correct textarea[name=body]", "תיקון: ארבע משאיות.")
    il.click("#intel-correct button[type=submit]")
    expect(us.locator("#intel-report")).to_contain_text("תיקון: ארבע משאיות.", timeout=WAIT)
    assert us.evaluate("window.__marker") is None
