"""Clocks in a real browser, as they happen: a FLASH message's countdown runs on the
addressed party's page, the deadline passes, and the breach and each escalation step
appear without a reload; the supervisor's board shows the open clock, the breach and the
per-party figures with the chart, and drops the clock once it is acknowledged.

The cell runs the Paris charter with its FLASH clock shortened to seconds, served with
its deadline engine (as `fusioncell serve` runs it), on the real clock: the waits here are
for the deadline, a few seconds, not for a fixed sleep.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from fusioncell.app import create_app
from fusioncell.cell import init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.identity.accounts import do_add_member
from fusioncell.settings import Settings
from tests.web.conftest import ACCOUNTS, Browse, Served, serving
from tests.web.test_browser import sign_in
from tests.web.test_cell_browser import WAIT, Poster, live, message

ACK_S = 6  # the shortened FLASH clock
REPEAT_S = 4  # and its repeated escalation step


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    charter = paris_charter_text()
    for old, new in (
        ('ack_within = "5m"', f'ack_within = "{ACK_S}s"'),
        ('every = "5m"', f'every = "{REPEAT_S}s"'),
    ):
        assert old in charter
        charter = charter.replace(old, new, 1)
    s = settings.model_copy(
        update={"require_totp": False, "demo_auto_approve": True, "deadline_engine": True}
    )
    cell = init_cell(charter, s, source="paris-quick.toml")
    for member, (party, role) in ACCOUNTS.items():
        do_add_member(cell, party, member, role)
    try:
        with serving(create_app(cell)) as url:
            yield Served(url, cell)
    finally:
        cell.close()


def test_countdown_breach_and_escalation_live(served: Served, browse: Browse) -> None:
    il = browse(locale="he").page()
    sign_in(il, served, "il-liaison")
    us = browse(locale="en").page()
    sign_in(us, served, "us-supervisor")
    sy = Poster(served, "SY", "sy-liaison")
    tid = "clock-thread-1"
    parties = ["IL", "SY", "US"]
    sy.post(
        "cell.thread.opened",
        tid,
        parties,
        {
            "workstream": "deescalation",
            "topic": {"text": "Clocks", "lang": "en"},
            "parties": parties,
        },
    )
    il.goto(f"/cell/t/{tid}")
    live(il)
    us.goto("/board?period=24h")
    live(us)
    us.evaluate("() => { window.__samePage = true; }")

    index = sy.post(
        "cell.message.posted", tid, parties, {"urgency": "FLASH", "text": "Confirm", "lang": "en"}
    )
    msg = message(il, index)
    expect(msg).to_be_visible(timeout=WAIT)
    row = msg.locator(".ack-list li[data-party=IL]")
    countdown = msg.locator(".countdown")
    expect(countdown).to_be_visible()
    expect(countdown).not_to_have_class("countdown overdue")  # time is left
    # The board, live: one open clock, owed by Israel, not yet breached.
    clock = us.locator(f"table.clocks tr[data-key='ack:{index}:IL']")
    expect(clock).to_be_visible(timeout=WAIT)
    expect(us.locator("#open-total")).to_have_text("1")

    # The deadline passes: the countdown turns overdue, and the engine's entries arrive.
    expect(countdown).to_have_class("countdown overdue", timeout=WAIT + ACK_S * 1000)
    expect(row.locator(".breach")).to_be_visible(timeout=WAIT + ACK_S * 1000)
    expect(row.locator(".escalation")).to_have_count(1, timeout=WAIT)
    first = row.locator(".escalation").first.inner_text()
    assert "ישראל" in first and "ארצות הברית" in first  # IL's head, the supervisor's duty
    expect(row.locator(".escalation")).to_have_count(2, timeout=WAIT + REPEAT_S * 1000)
    expect(clock).to_have_class("overdue", timeout=WAIT)
    expect(us.locator("#overdue-total")).to_have_text("1", timeout=WAIT)
    figures = us.locator("table.figures tr[data-party=IL]")
    expect(figures.locator("td").nth(3)).to_have_text("1")  # still owed
    assert us.locator("svg.chart g.row[data-party=IL]").count() == 1

    # Israel acknowledges, late: the chain stops and the board drops the clock, live.
    il.click(f"#m-{index} button[data-action=ack]")
    expect(row).to_have_class("acked", timeout=WAIT)
    expect(us.locator("#open-total")).to_have_text("0", timeout=WAIT)
    expect(clock).to_have_count(0)
    expect(figures.locator("td").nth(2)).to_have_text("1")  # acknowledged, late
    assert us.evaluate("() => window.__samePage") is True  # no reload
    n = row.locator(".escalation").count()
    il.wait_for_timeout(REPEAT_S * 1000 + 500)  # a repeat would have come by now
    expect(row.locator(".escalation")).to_have_count(n)
