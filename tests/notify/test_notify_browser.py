"""The notifications in a real browser (Debian's Chromium through Playwright), against the
real app served by uvicorn with its notifier: a FLASH message addressed to IL appears live
on the pages of an IL member, the count in the menu follows, marking read clears it, the
channel settings are saved through their form, and axe finds nothing on the pages in
Arabic, Hebrew and English. Every page is watched for console errors and CSP violations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from fusioncell.settings import Settings
from tests.web.conftest import Browse, Served, auto_approve, browse, browser, served
from tests.web.test_browser import sign_in
from tests.web.test_cell_browser import Poster

__all__ = ["auto_approve", "browse", "browser", "served"]

WAIT = 20_000  # ms: what a live arrival may take on a busy test machine
ALL = ["IL", "SY", "US"]


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """The served cell runs its notifier, as `fusioncell serve` does (web channel only)."""
    return Settings(data=tmp_path / "data", database_url=db_url)


def live(page: Any) -> None:
    page.wait_for_selector("html[data-notify=ready]", state="attached", timeout=WAIT)


def flash(sy: Poster, thread: str, text: str) -> int:
    """SY opens a thread with every party and posts a FLASH message to it."""
    sy.post(
        "cell.thread.opened",
        thread,
        ALL,
        {"workstream": "deescalation", "topic": {"text": "Convoy", "lang": "en"}, "parties": ALL},
    )
    return sy.post(
        "cell.message.posted", thread, ALL, {"urgency": "FLASH", "text": text, "lang": "en"}
    )


def test_a_notification_appears_live_for_the_addressed_member(
    served: Served, browse: Browse
) -> None:
    page = browse(locale="en").page()
    sign_in(page, served, "il-liaison")
    page.goto("/notifications")
    live(page)
    expect(page.locator("#notify-empty")).to_be_visible()
    expect(page.locator("#notify-unread")).to_be_hidden()

    sy = Poster(served, "SY", "sy-liaison")
    m = flash(sy, "notify-live-1", "Acknowledge the convoy's route")

    item = page.locator("#notify-list article.notify-item").first
    expect(item).to_contain_text("Message from", timeout=WAIT)
    expect(item).to_contain_text("Syria")
    expect(item.locator("a", has_text="Open")).to_have_attribute(
        "href", f"/cell/t/notify-live-1#m-{m}"
    )
    expect(page.locator("#notify-unread .n")).to_have_text("1", timeout=WAIT)
    toast = page.locator("#notify-toast")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("New notification:")
    # The same on any other page: the count in the menu, and the next one announced.
    other = browse(locale="he").page()
    sign_in(other, served, "il-liaison")
    other.goto("/cell")
    live(other)
    expect(other.locator("#notify-unread .n")).to_have_text("1", timeout=WAIT)
    flash(sy, "notify-live-2", "A second one")
    expect(other.locator("#notify-unread .n")).to_have_text("2", timeout=WAIT)
    expect(other.locator("#notify-toast")).to_be_visible()
    expect(other.locator("#notify-toast")).to_contain_text("סוריה")  # Syria, in Hebrew
    # Marking read (a plain form post) clears the count, here and live on the other page.
    page.reload()
    live(page)
    with page.expect_navigation():
        page.click("form[action='/notifications/read'] input[name=upto] ~ button")
    expect(page.locator("#notify-list .tag")).to_have_count(0)
    expect(other.locator("#notify-unread")).to_be_hidden(timeout=WAIT)


def test_the_channels_are_chosen_on_a_page(served: Served, browse: Browse) -> None:
    page = browse(locale="en").page()
    sign_in(page, served, "il-liaison")
    page.goto("/profile")
    with page.expect_navigation():
        page.click("a[href='/notifications/settings']")
    # FLASH always goes everywhere: its boxes are ticked and cannot be changed.
    flash_boxes = page.locator("input[name^=FLASH-]")
    expect(flash_boxes).to_have_count(3)
    for i in range(3):
        expect(flash_boxes.nth(i)).to_be_checked()
        expect(flash_boxes.nth(i)).to_be_disabled()
    page.fill("#notify-email", "nonsense")
    page.evaluate(
        "() => document.getElementById('notify-email').type = 'text'"
    )  # past the browser's check
    with page.expect_navigation():
        page.click("form[action='/notifications/settings'] button[type=submit]")
    expect(page.locator("p.error")).to_contain_text("is not an e-mail address")
    browse.contexts[-1].problems.clear()  # the 400 of that refused form is expected
    page.fill("#notify-email", "il@example.org")
    page.uncheck("input[name=ROUTINE-web]")
    with page.expect_navigation(url=re.compile(r"saved=1")):
        page.click("form[action='/notifications/settings'] button[type=submit]")
    expect(page.locator("#notify-email")).to_have_value("il@example.org")
    expect(page.locator("input[name=ROUTINE-web]")).not_to_be_checked()
    expect(page.locator("input[name=IMMEDIATE-web]")).to_be_checked()


@pytest.mark.parametrize("lang", ["ar", "he", "en"])
def test_the_notification_pages_pass_axe(served: Served, browse: Browse, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    flash(Poster(served, "SY", "sy-liaison"), f"notify-axe-{lang}", "For the list")
    page = browse(locale=lang).page()
    sign_in(page, served, "il-admin")
    axe = Axe()
    for path in ("/notifications", "/notifications/settings", "/notifications/party"):
        page.goto(path)
        live(page)
        assert page.get_attribute("html", "dir") == ("ltr" if lang == "en" else "rtl")
        results = axe.run(page)
        assert results.violations_count == 0, f"{lang} {path}:\n{results.generate_report()}"
