"""/sitrep in a real browser (Debian's Chromium through Playwright) against the real app
served by uvicorn, with the demo's workstreams: the supervisor in Arabic picks a period
and Israel's view; Syria's head of delegation in English picks a period; Israel's liaison
reads it in Hebrew. axe finds nothing
on any of these pages; none shows a console error or a CSP violation (conftest.Browse)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from tests.web.conftest import Browse, Served
from tests.web.test_browser import sign_in
from tests.web.test_i18n import workstreams


def axe_clean(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def pick(page: Any, first: str, last: str, party: str | None = None) -> dict[str, list[str]]:
    """Fill the form and show the report; returns the query it asked for."""
    form = page.locator("#sitrep-form")
    form.locator("input[name=from]").fill(first)
    form.locator("input[name=to]").fill(last)
    if party is not None:
        form.locator("select[name=party]").select_option(party)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    return parse_qs(urlsplit(page.url).query)


def test_the_report_in_arabic_english_and_hebrew(served: Served, browse: Browse) -> None:
    workstreams(served.cell)  # an incident five hours ago, notices, a dispute
    ar = browse(locale="ar").page()
    sign_in(ar, served, "us-supervisor")
    ar.goto("/sitrep")
    assert ar.get_attribute("html", "dir") == "rtl"
    assert ar.locator("#sitrep").get_attribute("data-view") == "all"
    chart = ar.locator("#sitrep-incidents-chart")
    assert chart.get_attribute("role") == "img" and chart.get_attribute("data-dir") == "rtl"
    assert ar.locator("#sitrep-incidents-chart rect.seg").count() >= 1
    assert ar.locator("#sitrep-tta-chart").count() == 1
    axe_clean(ar)

    today = datetime.now(ZoneInfo("America/New_York")).date()
    first = (today - timedelta(days=6)).isoformat()
    q = pick(ar, first, today.isoformat(), "IL")
    assert q == {"from": [first], "to": [today.isoformat()], "party": ["IL"]}
    assert ar.locator("#sitrep").get_attribute("data-view") == "IL"
    assert ar.locator("#sitrep").get_attribute("data-from") == first
    assert ar.locator("#incidents-list tbody tr").count() >= 1
    axe_clean(ar)

    en = browse(locale="en").page()
    sign_in(en, served, "sy-head")
    en.goto("/sitrep")
    assert en.get_attribute("html", "dir") == "ltr"
    assert en.locator("select[name=party]").count() == 0  # its own party's view only
    today = datetime.now(ZoneInfo("Asia/Damascus")).date()
    q = pick(en, (today - timedelta(days=2)).isoformat(), today.isoformat())
    assert en.locator("#sitrep").get_attribute("data-view") == "SY"
    assert en.locator("#sitrep-view").inner_text().strip() == "As Syria may read it"
    assert en.locator("#sitrep-checkpoint .cp-size").count() == 1
    assert en.locator("#sitrep-pdf").get_attribute("href").startswith("/sitrep.pdf?from=")
    axe_clean(en)

    he = browse(locale="he").page()
    sign_in(he, served, "il-liaison")
    he.goto("/sitrep")
    assert he.get_attribute("html", "lang") == "he"
    assert he.get_attribute("html", "dir") == "rtl"
    assert he.locator("select[name=party]").count() == 0
    assert he.locator("#sitrep").get_attribute("data-view") == "IL"
    chart = he.locator("#sitrep-incidents-chart")
    assert chart.get_attribute("data-dir") == "rtl"
    assert he.locator("#sitrep-checkpoint .cp-size").count() == 1
    axe_clean(he)
