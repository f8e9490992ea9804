"""/diplomacy in a real browser (Debian's Chromium through Playwright) against the real app
served by uvicorn: the supervisor, in English, gives the charter's Paris round its dates
and schedules a meeting in it; Syria's head of delegation records minutes in Arabic and
corrects them; a follow-up item is added and closed by Israel's head of delegation in
Hebrew; the meeting's .ics downloads; the next round is "not yet scheduled", then a date.
A meeting without Israel is a 404 for Israel; an end before its start is refused on the
page with nothing written. Then axe over the three pages in Arabic and Hebrew. Every write
is signed in the browser; every page is watched for console errors and CSP violations
(conftest.Browse)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
from babel.dates import format_date
from playwright.sync_api import expect
from sqlalchemy import select

from fusioncell.authz import Role
from fusioncell.db import reading
from fusioncell.diplomacy.tables import diplomacy_followups, diplomacy_minutes
from fusioncell.identity.accounts import do_add_member
from fusioncell.ledger.tables import log_entries
from fusioncell.web import i18n
from tests.web.conftest import Browse, Served
from tests.web.test_browser import sign_in

WAIT = 15_000  # ms
MINUTES_AR = "افتتح الوسيط الجلسة؛ عرض الوفدان مواقفهما من آلية التنسيق المشتركة."
CORRECTION_AR = MINUTES_AR + " واتفق الطرفان على اجتماع الخبراء في الأسبوع المقبل."
ITEM_AR = "تقديم قائمة بضباط الاتصال المعتمدين"
CLOSE_HE = "הרשימה הוגשה ונבדקה; הפריט נסגר."
AGENDA = ["Opening statements", "The joint coordination mechanism", "Next steps"]


def ready(page: Any, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("html[data-diplomacy=ready]", state="attached")


def settled(page: Any) -> None:
    """After a write the page is loaded again: wait until its script is ready once more."""
    page.wait_for_load_state()
    page.wait_for_selector("html[data-diplomacy=ready]", state="attached")


def status(page: Any) -> Any:
    return page.locator("#diplomacy-status")


def roles(form: Any, party: str, *names: str) -> None:
    for name in names:
        form.locator(f"fieldset.delegation[data-party={party}] input[value={name}]").check()


def give_paris_its_dates(us: Any) -> None:
    """The supervisor revises the charter's Paris round: its dates and the roles attending."""
    ready(us, "/diplomacy/r/paris")
    expect(us.locator("#diplomacy-schedule .notice")).to_be_visible()
    us.locator("#diplomacy-revise summary").click()
    form = us.locator("#diplomacy-revise-form")
    form.locator("input[name=start]").fill("2026-01-05")
    form.locator("input[name=end]").fill("2026-01-06")
    roles(form, "IL", "head_of_delegation", "liaison_officer")
    roles(form, "SY", "head_of_delegation", "liaison_officer")
    roles(form, "US", "supervisor")
    with us.expect_navigation(timeout=WAIT):
        form.locator("button[type=submit]").click()
    settled(us)
    expect(us.locator("#diplomacy-round dd time").first).to_have_attribute("datetime", "2026-01-05")


def schedule(
    us: Any,
    title: str,
    start: str,
    end: str,
    delegations: dict[str, tuple[str, ...]],
    agenda: list[str],
) -> str:
    """The supervisor schedules a meeting in Paris (the round page is open); its id."""
    form = us.locator("#diplomacy-meeting-form")
    form.locator("input[name=title]").fill(title)
    form.locator("select[name=lang]").select_option("en")
    form.locator("input[name=place]").fill("Quai d'Orsay")
    form.locator("input[name=start]").fill(start)
    form.locator("input[name=end]").fill(end)
    form.locator("input[name=tz]").fill("Europe/Paris")
    for party, names in delegations.items():
        roles(form, party, *names)
    form.locator("textarea[name=agenda]").fill("\n".join(agenda))
    with us.expect_navigation(url=re.compile(r"/diplomacy/m/[0-9a-f]{16}$"), timeout=WAIT):
        form.locator("button[type=submit]").click()
    settled(us)
    return str(urlsplit(us.url).path.rsplit("/", 1)[1])


ALL: dict[str, tuple[str, ...]] = {
    "IL": ("head_of_delegation",),
    "SY": ("head_of_delegation",),
    "US": ("supervisor",),
}


def organised(served: Served, browse: Browse) -> tuple[Any, str]:
    """The supervisor's page and a plenary meeting for the three parties in Paris."""
    us = browse(locale="en").page()
    sign_in(us, served, "us-supervisor")
    give_paris_its_dates(us)
    mid = schedule(us, "Plenary session", "2026-01-06T10:00", "2026-01-06T13:00", ALL, AGENDA)
    return us, mid


def test_round_meeting_minutes_followup_and_calendar(served: Served, browse: Browse) -> None:
    cell = served.cell
    us, mid = organised(served, browse)
    main = us.locator("main")
    expect(main).to_have_attribute("data-live", "diplomacy. system.")
    expect(main).to_have_attribute("data-live-subject", f"dm/{mid}")
    expect(us.locator("#m-title bdi[lang=en]")).to_have_text("Plenary session")
    expect(us.locator("#diplomacy-agenda ol.agenda li")).to_have_text(AGENDA)
    # at the venue 10:00 in Paris, 09:00 UTC
    start = us.locator("#diplomacy-meeting dd time").first
    expect(start).to_have_attribute("datetime", re.compile(r"^2026-01-06T09:00"))
    expect(us.locator("ul.delegations li[data-party=SY]")).to_be_visible()
    with reading(cell.engine) as conn:
        (author,) = conn.execute(
            select(log_entries.c.member).where(log_entries.c.kind == "diplomacy.meeting.scheduled")
        ).one()
    assert author == "us-supervisor"

    # Syria's head of delegation records minutes in Arabic, then corrects them
    sy = browse(locale="ar").page()
    sign_in(sy, served, "sy-head")
    ready(sy, "/diplomacy/r/paris")
    assert sy.get_attribute("html", "dir") == "rtl"
    expect(sy.locator("main")).to_have_attribute("data-live-subject", "dr/paris")
    sy.locator(f"#diplomacy-meetings tr[data-meeting='{mid}'] a").click()
    settled(sy)
    form = sy.locator("#diplomacy-minutes-form")
    form.locator("select[name=lang]").select_option("ar")
    form.locator("textarea[name=text]").fill(MINUTES_AR)
    with sy.expect_navigation(timeout=WAIT):
        form.locator("button[type=submit]").click()
    settled(sy)
    expect(sy.locator("#minutes-version")).to_have_attribute("data-version", "1")
    expect(sy.locator("#minutes-text bdi[lang=ar][dir=rtl]")).to_have_text(MINUTES_AR)
    form = sy.locator("#diplomacy-minutes-form")
    expect(form.locator("textarea[name=text]")).to_have_value(MINUTES_AR)
    form.locator("textarea[name=text]").fill(CORRECTION_AR)
    with sy.expect_navigation(timeout=WAIT):
        form.locator("button[type=submit]").click()
    settled(sy)
    expect(sy.locator("#minutes-version")).to_have_attribute("data-version", "2")
    expect(sy.locator("#minutes-text bdi[lang=ar]")).to_have_text(CORRECTION_AR)
    sy.locator("#diplomacy-minutes details.history summary").click()
    earlier = sy.locator("#diplomacy-minutes details.history li[data-version='1']")
    expect(earlier.locator("bdi[lang=ar][dir=rtl]")).to_have_text(MINUTES_AR)
    with reading(cell.engine) as conn:
        rows = conn.execute(
            select(diplomacy_minutes.c.version, diplomacy_minutes.c.member).order_by(
                diplomacy_minutes.c.version
            )
        ).all()
    assert [tuple(r) for r in rows] == [(1, "sy-head"), (2, "sy-head")]

    # a follow-up item for Israel, added in Arabic by Syria's head of delegation
    form = sy.locator("#diplomacy-followup-form")
    form.locator("select[name=lang]").select_option("ar")
    form.locator("select[name=party]").select_option("IL")
    form.locator("input[name=due]").fill("2026-02-01")
    form.locator("textarea[name=text]").fill(ITEM_AR)
    with sy.expect_navigation(timeout=WAIT):
        form.locator("button[type=submit]").click()
    settled(sy)
    item = sy.locator("ul.followups li[data-state=open]")
    expect(item).to_have_count(1)
    expect(item.locator("bdi[lang=ar][dir=rtl]")).to_have_text(ITEM_AR)
    # Syria is neither responsible nor the supervising party: no close form for it
    expect(item.locator("form")).to_have_count(0)

    # Israel's head of delegation closes it, in Hebrew
    do_add_member(cell, "IL", "il-head", Role.HEAD_OF_DELEGATION)
    il = browse(locale="he").page()
    sign_in(il, served, "il-head")
    ready(il, "/diplomacy/r/paris")
    assert il.get_attribute("html", "dir") == "rtl"
    open_items = il.locator("#diplomacy-open li[data-item]")
    expect(open_items).to_have_count(1)
    open_items.locator("a").click()
    settled(il)
    close = il.locator("ul.followups li[data-state=open] form.diplomacy-close-form")
    close.locator("select[name=lang]").select_option("he")
    close.locator("input[name=text]").fill(CLOSE_HE)
    with il.expect_navigation(timeout=WAIT):
        close.locator("button[type=submit]").click()
    settled(il)
    done = il.locator("ul.followups li[data-state=closed]")
    expect(done).to_have_count(1)
    expect(done.locator("bdi[lang=he][dir=rtl]")).to_have_text(CLOSE_HE)
    expect(done.locator("form.diplomacy-close-form")).to_have_count(0)
    with reading(cell.engine) as conn:
        row = conn.execute(select(diplomacy_followups)).one()
    assert (row.party, row.lang, row.closed_by, row.note_lang) == ("IL", "ar", "il-head", "he")
    ready(il, "/diplomacy/r/paris")
    expect(il.locator("#diplomacy-open li[data-item]")).to_have_count(0)

    # the meeting's calendar file, from its page
    ready(il, f"/diplomacy/m/{mid}")
    # a correction starts from the minutes as they stand, in their language
    expect(il.locator("#diplomacy-minutes-form select[name=lang]")).to_have_value("ar")
    with il.expect_download(timeout=WAIT) as dl:
        il.locator("#diplomacy-ics").click()
    download = dl.value
    assert download.suggested_filename == f"{mid}.ics"
    path = download.path()
    assert path is not None
    cal = icalendar.Calendar.from_ical(Path(path).read_bytes())
    event: Any
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == f"{mid}@{cell.ledger.origin}"
    dtstart = event["DTSTART"]
    assert dtstart.params["TZID"] == "Europe/Paris"
    assert dtstart.dt == datetime(2026, 1, 6, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert event["DTEND"].dt == datetime(2026, 1, 6, 13, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert str(event["SUMMARY"]) == "Plenary session"
    assert [str(t["TZID"]) for t in cal.walk("VTIMEZONE")] == ["Europe/Paris"]

    # the next round: not yet scheduled, in the reader's language; then a date
    for page, lang in ((sy, "ar"), (il, "he")):
        ready(page, "/diplomacy")
        expect(page.locator("main")).to_have_attribute("data-live", "diplomacy. system.")
        nxt = page.locator("tr[data-round=paris] [data-next]")
        expect(nxt).to_have_attribute("data-next", "not_scheduled")
        expect(nxt).to_have_text(i18n.gettext(lang, "Not yet scheduled"))
    ready(us, "/diplomacy/r/paris")
    form = us.locator("#diplomacy-next-form")
    form.locator("input[name=date]").fill("2026-03-02")
    with us.expect_navigation(timeout=WAIT):
        form.locator("button[type=submit]").click()
    settled(us)
    expect(us.locator("#diplomacy-next [data-next=scheduled] time")).to_have_attribute(
        "datetime", "2026-03-02"
    )
    # the readers' lists are live pages: drawn again with the date, without a reload of theirs
    for page, lang in ((sy, "ar"), (il, "he")):
        nxt = page.locator("tr[data-round=paris] [data-next]")
        expect(nxt).to_have_attribute("data-next", "scheduled", timeout=WAIT)
        expect(nxt).to_have_text(format_date(date(2026, 3, 2), "long", locale=lang))
        settled(page)


def test_a_meeting_without_a_party_is_missing_for_it(served: Served, browse: Browse) -> None:
    us, _ = organised(served, browse)
    ready(us, "/diplomacy/r/paris")
    hidden = schedule(
        us,
        "Bilateral: Syria and the mediator",
        "2026-01-05T15:00",
        "2026-01-05T16:00",
        {"SY": ("head_of_delegation",), "US": ("supervisor",)},
        ["Humanitarian crossings"],
    )
    expect(us.locator("ul.delegations li[data-party=IL]")).to_have_count(0)

    sy = browse(locale="ar").page()
    sign_in(sy, served, "sy-head")
    ready(sy, f"/diplomacy/m/{hidden}")
    expect(sy.locator("#m-title bdi")).to_have_text("Bilateral: Syria and the mediator")

    il_w = browse(locale="he")
    il = il_w.page()
    sign_in(il, served, "il-liaison")
    r = il.goto(f"/diplomacy/m/{hidden}")
    assert r is not None and r.status == 404
    hidden_body = il.locator("main").inner_text()
    r = il.goto("/diplomacy/m/0123456789abcdef")
    assert r is not None and r.status == 404
    assert il.locator("main").inner_text() == hidden_body
    api = il.request.get(f"/api/v1/diplomacy/meetings/{hidden}")
    missing = il.request.get("/api/v1/diplomacy/meetings/0123456789abcdef")
    assert (api.status, missing.status) == (404, 404)
    assert api.json()["detail"] == missing.json()["detail"]
    assert il.request.get(f"/api/v1/diplomacy/meetings/{hidden}.ics").status == 404
    ready(il, "/diplomacy/r/paris")
    expect(il.locator("#diplomacy-meetings tr[data-meeting]")).to_have_count(1)
    expect(il.locator(f"tr[data-meeting='{hidden}']")).to_have_count(0)
    assert [re.search(r"status of (\d+)", p).group(1) for p in il_w.problems] == [  # type: ignore[union-attr]
        "404",
        "404",
    ]
    il_w.problems.clear()


def test_an_end_before_its_start_is_refused_on_the_page(served: Served, browse: Browse) -> None:
    cell = served.cell
    w = browse(locale="en")
    us = w.page()
    sign_in(us, served, "us-supervisor")
    give_paris_its_dates(us)
    size = cell.ledger.size()
    form = us.locator("#diplomacy-meeting-form")
    form.locator("input[name=title]").fill("Working group")
    form.locator("input[name=place]").fill("Quai d'Orsay")
    form.locator("input[name=start]").fill("2026-01-05T15:00")
    form.locator("input[name=end]").fill("2026-01-05T14:00")
    form.locator("input[name=tz]").fill("Europe/Paris")
    for party, names in ALL.items():
        roles(form, party, *names)
    # stopped in the page, before signing
    form.locator("button[type=submit]").click()
    expect(status(us)).to_have_attribute("data-state", "failed")
    expect(status(us)).to_have_text("The meeting ends before it starts.")
    expect(form.locator("input[name=end]")).to_be_focused()
    assert cell.ledger.size() == size

    # as a program would send it, past the page's check: the log refuses it, and says why
    us.evaluate(
        """async () => {
          const { signAndAppend } = await import("/static/js/sign.js");
          const el = document.getElementById("diplomacy-status");
          try {
            await signAndAppend("diplomacy.meeting.scheduled", "dm/0123456789abcdef",
              ["IL", "SY", "US"], {round: "paris", meeting: "0123456789abcdef",
              title: [{text: "Working group", lang: "en"}],
              place: [{text: "Paris", lang: "en"}], start: "2026-01-05T15:00",
              end: "2026-01-05T14:00", tz: "Europe/Paris",
              delegations: [{party: "IL", roles: ["liaison_officer"]},
                            {party: "SY", roles: ["liaison_officer"]}], agenda: []});
          } catch (err) { el.textContent = err.message; }
        }"""
    )
    expect(status(us)).to_contain_text("the meeting ends (2026-01-05T14:00) before it starts")
    assert cell.ledger.size() == size
    problems, w.problems[:] = list(w.problems), []
    assert [re.search(r"status of (\d+)", p).group(1) for p in problems] == ["400"]  # type: ignore[union-attr]

    # a meeting outside its round's dates: the server's message on the page
    form.locator("input[name=start]").fill("2026-02-05T15:00")
    form.locator("input[name=end]").fill("2026-02-05T16:00")
    form.locator("button[type=submit]").click()
    expect(status(us)).to_contain_text("a meeting falls within its round's dates", timeout=WAIT)
    expect(status(us)).to_have_attribute("data-state", "failed")
    assert urlsplit(us.url).path == "/diplomacy/r/paris"
    assert cell.ledger.size() == size
    problems, w.problems[:] = list(w.problems), []
    assert len(problems) == 1 and "status of 4" in problems[0], problems

    # the round's own dates the wrong way round, or one missing: stopped in the page
    us.locator("#diplomacy-revise summary").click()
    rform = us.locator("#diplomacy-revise-form")
    rform.locator("input[name=start]").fill("2026-01-06")
    rform.locator("input[name=end]").fill("2026-01-05")
    rform.locator("button[type=submit]").click()
    expect(status(us)).to_have_text("The last day comes before the first.")
    rform.locator("input[name=end]").fill("")
    rform.locator("button[type=submit]").click()
    expect(status(us)).to_have_text("Give the round's first and last day.")

    # the next round: a date or "not yet scheduled", never both; neither is stopped
    nform = us.locator("#diplomacy-next-form")
    box = nform.locator("input[name=unscheduled]")
    expect(box).to_be_checked()
    nform.locator("input[name=date]").fill("2026-03-02")
    expect(box).not_to_be_checked()
    box.check()
    expect(nform.locator("input[name=date]")).to_have_value("")
    box.uncheck()
    nform.locator("button[type=submit]").click()
    expect(status(us)).to_have_text(
        "Give the date of the next round, or mark it not yet scheduled."
    )
    assert cell.ledger.size() == size


@pytest.mark.parametrize("lang", ["ar", "he"])
def test_pages_pass_axe(served: Served, browse: Browse, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    _, mid = organised(served, browse)
    member = {"ar": "sy-head", "he": "il-liaison"}[lang]
    page = browse(locale=lang).page()
    sign_in(page, served, member)
    for path in ("/diplomacy", "/diplomacy/r/paris", f"/diplomacy/m/{mid}"):
        ready(page, path)
        assert page.get_attribute("html", "dir") == "rtl"
        results = Axe().run(page)
        assert results.violations_count == 0, (path, results.generate_report())
