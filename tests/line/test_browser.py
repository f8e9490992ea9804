"""/line in a real browser (Debian's Chromium through Playwright) against the real app
served by uvicorn with its live stream: the supervisor sends a check, Israel's duty holder
sees it arrive live and answers it, and the supervisor sees the answer live; Syria's head
of delegation suspends the line in Arabic and the supervisor resumes it; refused input is
said clearly; axe finds nothing on the page in Arabic, Hebrew and English. Every page is
watched for console errors and CSP violations (tests.web.conftest.Browse)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from fusioncell.authz import Role
from fusioncell.clock import rfc3339
from fusioncell.duty import kinds as duty_kinds
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, post_as, register_member_key
from fusioncell.ledger.entry import Author
from fusioncell.line import kinds
from fusioncell.line.client import new_check_id
from tests.web.conftest import Browse, Served, auto_approve, browse, browser, served
from tests.web.test_browser import sign_in

__all__ = ["auto_approve", "browse", "browser", "served"]

WAIT = 15_000  # ms: what a live arrival may take on a busy test machine
PARTIES = ["IL", "SY", "US"]
REASON_AR = "نعلّق الخط احتجاجاً على الخرق الأخير قرب خط الفصل."


def as_member(
    served: Served, party: str, member: str, kind: str, subject: str, body: dict[str, Any]
) -> int:
    """Write from Python, signed with a key registered for `member` (no browser)."""
    key = new_member_key(party, member, f"script-{new_check_id()[:6]}")
    register_member_key(served.cell, party, member, key.verifier.encode())
    author = Author(party, member, key.key_id_hex)
    return post_as(served.cell, key, author, kind, subject, PARTIES, body).index


def roster(served: Served, party: str, admin: str, holder: str) -> None:
    """`holder` is on duty for `party` for the next day."""
    now = served.cell.clock.now()
    start, end = rfc3339(now), rfc3339(now + timedelta(days=1))
    body = {
        "party": party,
        "from": start,
        "to": end,
        "shifts": [{"member": holder, "start": start, "end": end}],
    }
    as_member(served, party, admin, duty_kinds.ROSTER, duty_kinds.subject(party), body)


def ready(page: Any) -> None:
    page.wait_for_selector("html[data-line=ready]", state="attached", timeout=WAIT)
    page.wait_for_selector("html[data-live=ready]", state="attached", timeout=WAIT)


def test_check_answered_live_then_suspended_and_resumed(served: Served, browse: Browse) -> None:
    roster(served, "IL", "il-admin", "il-liaison")
    sup = browse("en").page()
    sign_in(sup, served, "us-supervisor")
    il = browse("he").page()
    sign_in(il, served, "il-liaison")
    streams: list[str] = []
    il.on("websocket", lambda ws: streams.append(ws.url) if "/api/v1/stream" in ws.url else None)
    for p in (sup, il):
        p.goto("/line")
        ready(p)
    expect(il.locator("#line-open .line-owed li")).to_have_count(0)
    assert len(streams) == 1  # the page's one live stream (cell.js) serves line.js too

    # The supervisor sends a check to Israel alone.
    sup.uncheck("#line-request-form input[value=SY]")
    expect(sup.locator("#line-request-form input[value=US]")).not_to_be_checked()
    sup.check("#line-request-form input[value=IL]")
    sup.click("#line-request-form button[type=submit]")
    expect(sup.locator("#cell-status")).to_have_attribute("data-state", "ok", timeout=WAIT)
    waiting = sup.locator("#line-open .line-waiting li[data-party=IL]")
    expect(waiting).to_have_count(1, timeout=WAIT)
    expect(waiting.locator(".countdown")).not_to_be_empty(timeout=WAIT)

    # Israel's duty holder sees it arrive live, with a countdown, and answers it.
    owed = il.locator("#line-open .line-owed li")
    expect(owed).to_have_count(1, timeout=WAIT)
    expect(owed.locator(".countdown")).not_to_be_empty(timeout=WAIT)
    owed.locator("button[data-action=answer]").click()
    expect(il.locator("#cell-status")).to_have_attribute("data-state", "ok", timeout=WAIT)
    expect(owed).to_have_count(0, timeout=WAIT)
    expect(il.locator("#line-party-IL tr[data-state=answered]")).to_have_count(1, timeout=WAIT)
    # ... and the supervisor sees the answer live.
    expect(sup.locator("#line-party-IL tr[data-state=answered]")).to_have_count(1, timeout=WAIT)
    expect(sup.locator("#line-party-IL tr[data-state=answered]")).to_contain_text("il-liaison")
    expect(waiting).to_have_count(0, timeout=WAIT)

    # Syria's head of delegation suspends the line, in Arabic; a reason is required.
    sy = browse("ar").page()
    sign_in(sy, served, "sy-head")
    sy.goto("/line")
    ready(sy)
    form = sy.locator("#line-declare-form")
    expect(form).to_have_attribute("data-state", "suspended")
    form.locator("button[type=submit]").click()  # no reason: refused before signing
    expect(sy.locator("#cell-status")).to_have_attribute("data-state", "failed")
    expect(form.locator("textarea")).to_have_attribute("aria-invalid", "true")
    form.locator("textarea").fill("سبب\u202eمقلوب")  # a bidi override: refused too
    form.locator("button[type=submit]").click()
    expect(sy.locator("#cell-status")).to_contain_text("U+202E")
    form.locator("textarea").fill(REASON_AR)
    form.locator("select[name=lang]").select_option("ar")
    form.locator("button[type=submit]").click()
    expect(sy.locator("#line-state")).to_have_attribute("data-state", "suspended", timeout=WAIT)
    expect(sy.locator("#line-declare")).to_have_attribute("data-mode", "resume", timeout=WAIT)
    # Everyone sees it live, the reason isolated in its own direction.
    for p in (sup, il):
        expect(p.locator("#line-state")).to_have_attribute("data-state", "suspended", timeout=WAIT)
        reason = p.locator("#line-state bdi[lang=ar]").first
        expect(reason).to_have_text(REASON_AR)
        expect(reason).to_have_attribute("dir", "rtl")
    # Israel's liaison may not lift Syria's suspension: no form is offered.
    expect(il.locator("#line-declare-form")).to_have_count(0)

    # The supervisor resumes it, with a reason in English.
    expect(sup.locator("#line-declare")).to_have_attribute("data-mode", "resume", timeout=WAIT)
    sup.fill("#line-declare-form textarea", "Resumed after consultations with both parties.")
    sup.click("#line-declare-form button[type=submit]")
    for p in (sup, il, sy):
        expect(p.locator("#line-state")).to_have_attribute("data-state", "resumed", timeout=WAIT)
        expect(p.locator("#line-state tbody tr")).to_have_count(2, timeout=WAIT)
    # The home page says it in one line.
    il.goto("/")
    expect(il.locator("#line-home")).to_have_attribute("data-state", "resumed")


def test_answer_refused_shows_the_servers_reason(served: Served, browse: Browse) -> None:
    """A duty holder whose shift ended while the page was open is told why, clearly."""
    roster(served, "IL", "il-admin", "il-liaison")
    check = new_check_id()
    as_member(
        served,
        "US",
        "us-supervisor",
        kinds.REQUESTED,
        kinds.check_subject(check),
        {"check": check, "parties": ["IL"]},
    )
    il = browse("en").page()
    sign_in(il, served, "il-liaison")
    il.goto("/line")
    ready(il)
    button = il.locator("button[data-action=answer]")
    expect(button).to_have_count(1)
    # Meanwhile the party admin hands the duty to someone else.
    roster(served, "IL", "il-admin", "il-admin")
    button.click()
    status = il.locator("#cell-status")
    expect(status).to_have_attribute("data-state", "failed", timeout=WAIT)
    expect(status).to_contain_text(
        "only the duty holder answers a line check: il-admin is on duty for IL"
    )
    # The refused request is the only problem the page reported (a 403 in the console).
    browse.contexts[-1].problems[:] = [p for p in browse.contexts[-1].problems if "403" not in p]


@pytest.mark.parametrize("lang", ["ar", "he", "en"])
def test_line_page_passes_axe(served: Served, browse: Browse, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    do_add_member(served.cell, "US", "us-admin", Role.PARTY_ADMIN)  # not among ACCOUNTS
    roster(served, "US", "us-admin", "us-duty")
    check = new_check_id()
    as_member(
        served,
        "US",
        "us-supervisor",
        kinds.REQUESTED,
        kinds.check_subject(check),
        {"check": check, "parties": PARTIES},
    )
    as_member(
        served,
        "SY",
        "sy-head",
        kinds.DECLARED,
        kinds.STATUS_SUBJECT,
        {"state": "suspended", "text": REASON_AR, "lang": "ar"},
    )
    for member in ("us-supervisor", "us-duty"):
        page = browse(locale=lang).page()
        sign_in(page, served, member)
        page.goto("/line")
        ready(page)
        assert page.get_attribute("html", "dir") == ("ltr" if lang == "en" else "rtl")
        results = Axe().run(page)
        assert results.violations_count == 0, f"{lang} {member}:\n{results.generate_report()}"
