"""/intel in a real browser (Debian's Chromium through Playwright) against the real app
served by uvicorn: the Israeli liaison officer issues a report in Hebrew released to the
supervisor only (signed with the device key); the supervisor reads it; the Syrian party does
not see it in the list and gets a 404 for its page. A window that ends before it starts is
refused clearly, and nothing is written. Every page is watched for console errors and CSP
violations (conftest.Browse)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from fusioncell.db import reading
from fusioncell.intel.tables import intel_openings, intel_reports
from tests.web.conftest import Browse, Served
from tests.web.test_browser import sign_in

WAIT = 15_000  # ms
BODY_HE = "שיירה של שלוש משאיות נעה צפונה לאורך הקו."


def ready(page: Any, path: str) -> Any:
    resp = page.goto(path)
    page.wait_for_selector("html[data-intel=ready]", state="attached")
    return resp


def status(page: Any) -> Any:
    return page.locator("#intel-status")


def test_a_report_released_to_the_supervisor_only(served: Served, browse: Browse) -> None:
    cell = served.cell
    il_w = browse(locale="he")
    il = il_w.page()
    sign_in(il, served, "il-liaison")
    ready(il, "/intel")
    assert il.get_attribute("html", "dir") == "rtl"
    form = "#intel-issue"
    # IL and the supervisor are always in the release; SY is left unticked.
    expect(il.locator(f"{form} input[name=rel][value=US]")).to_be_checked()
    expect(il.locator(f"{form} input[name=rel][value=SY]")).not_to_be_checked()
    il.fill(f"{form} input[name=title]", "שיירה ליד הקו")
    il.fill(f"{form} textarea[name=summary]", "תנועה צפונה")
    il.fill(f"{form} textarea[name=body]", BODY_HE)
    il.select_option(f"{form} select[name=lang]", "he")
    il.select_option(f"{form} select[name=source]", "B")
    il.select_option(f"{form} select[name=info]", "2")
    il.fill(f"{form} textarea[name=places]", '{"type": "Point", "coordinates": [35.7, 33.1]}')

    # a window that ends before it starts: refused clearly, nothing written
    size = cell.ledger.size()
    il.fill(f"{form} input[name=start]", "2026-11-26T10:00")
    il.fill(f"{form} input[name=end]", "2026-11-26T08:00")
    il.click(f"{form} button[type=submit]")
    expect(status(il)).to_have_attribute("data-state", "failed", timeout=WAIT)
    expect(status(il)).to_contain_text("ends before it starts")
    assert cell.ledger.size() == size
    assert [re.search(r"status of (\d+)", p).group(1) for p in il_w.problems] == ["400"]  # type: ignore[union-attr]
    il_w.problems.clear()

    il.fill(f"{form} input[name=end]", "2026-11-26T12:00")
    with il.expect_navigation(url=re.compile(r"/intel/r/[0-9a-f]{16}$")):
        il.click(f"{form} button[type=submit]")
    report = il.url.rsplit("/", 1)[1]
    il.wait_for_selector("html[data-intel=ready]", state="attached")
    expect(il.locator("#intel-report > .intel-body")).to_have_text(BODY_HE)
    expect(il.locator("#intel-report .grading")).to_have_text("B2")
    with reading(cell.engine) as conn:
        row = conn.execute(select(intel_reports).where(intel_reports.c.id == report)).one()
    assert row.releasability == ",IL,US," and row.member == "il-liaison"

    # the supervisor reads it in full (and that opening is recorded)
    us = browse(locale="en").page()
    sign_in(us, served, "us-supervisor")
    ready(us, "/intel")
    expect(us.locator(f"#intel-reports tr[data-report='{report}']")).to_have_count(1)
    ready(us, f"/intel/r/{report}")
    expect(us.locator("#intel-report > .intel-body")).to_have_text(BODY_HE)
    # isolated with its language; a machine translation may follow it (engine "none" here)
    body = us.locator("#intel-report > .intel-body > bdi")
    expect(body).to_have_attribute("lang", "he")
    expect(body).to_have_attribute("dir", "rtl")

    # the other party: not in its list, and the report's page is a 404
    sy_w = browse(locale="ar")
    sy = sy_w.page()
    sign_in(sy, served, "sy-liaison")
    ready(sy, "/intel")
    expect(sy.locator(f"#intel-reports tr[data-report='{report}']")).to_have_count(0)
    resp = sy.goto(f"/intel/r/{report}")
    assert resp.status == 404
    assert BODY_HE not in sy.content()
    sy_w.problems[:] = [p for p in sy_w.problems if "status of 404" not in p]

    with reading(cell.engine) as conn:
        opened = conn.execute(
            select(intel_openings.c.party).where(intel_openings.c.report == report)
        ).scalars()
        assert sorted(set(opened)) == ["IL", "US"]

    # the originator sees who opened it
    ready(il, f"/intel/r/{report}")
    expect(il.locator(".intel-openings li", has_text="us-supervisor")).to_have_count(1)

    # a correction is a new version; the first stays readable
    il.fill("#intel-correct textarea[name=body]", BODY_HE + " עודכן.")
    il.select_option("#intel-correct select[name=info]", "1")
    il.click("#intel-correct button[type=submit]")
    il.wait_for_url(re.compile(rf"/intel/r/{report}$"))
    expect(il.locator("#intel-report .grading")).to_have_text("B1", timeout=WAIT)
    expect(il.locator("#intel-report > .intel-body")).to_have_text(BODY_HE + " עודכן.")
    expect(il.locator(".intel-version[data-version='1'] .intel-body")).to_have_text(BODY_HE)

    # the originator's signed consent widens the release: now SY reads it
    il.check("#intel-widen input[name=rel][value=SY]")
    il.click("#intel-widen button[type=submit]")
    expect(il.locator("#intel-report")).to_have_attribute(
        "data-releasability", "IL,SY,US", timeout=WAIT
    )
    with reading(cell.engine) as conn:
        rel = conn.execute(
            select(intel_reports.c.releasability).where(intel_reports.c.id == report)
        ).scalar()
    assert rel == ",IL,SY,US,"
    ready(sy, f"/intel/r/{report}")
    expect(sy.locator("#intel-report > .intel-body")).to_have_text(BODY_HE + " עודכן.")
