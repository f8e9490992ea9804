"""Translations beneath the texts of the capabilities' pages, in a real browser (Debian's
Chromium through Playwright) against the app configured with the local
LibreTranslate-compatible server: a Hebrew reader sees a machine translation beneath an
Arabic intelligence report's summary, and the verified translation of an incident's
description with a link to raise a dispute about it, which opens the dispute form with
that translation cited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from fusioncell.clock import rfc3339
from fusioncell.db import reading
from fusioncell.deesc.demo import seed_deescalation
from fusioncell.deesc.tables import deesc_incidents
from fusioncell.identity.devices import new_member_key, post_as, register_member_key
from fusioncell.intel import kinds as intel_kinds
from fusioncell.language import kinds
from fusioncell.language.projector import sha256_text
from fusioncell.ledger.entry import Author
from tests.language.conftest import Toy
from tests.web.conftest import Browse, Served
from tests.web.test_browser import sign_in

WAIT = 15_000  # ms
REPORT = "pages-report-1"
SUMMARY = "رصد طائرة مسيّرة فوق القطاع الشمالي."
HE = "ירי ארטילרי סמוך לשולי הכפר; שני אזרחים נפצעו קל."


def seed(served: Served) -> tuple[int, int]:
    """An Arabic report released to every party, the demo's incidents, and a verified Hebrew
    translation of the first incident's description signed by an Israeli liaison officer;
    returns the incident and the translation's entry."""
    cell = served.cell
    keys = {}
    for party, member in (("SY", "sy-liaison"), ("IL", "il-liaison")):
        keys[member] = new_member_key(party, member, "seed")
        register_member_key(cell, party, member, keys[member].verifier.encode())

    def post(member: str, kind: str, subject: str, vis: list[str], body: dict[str, Any]) -> int:
        key = keys[member]
        author = Author(member.split("-", maxsplit=1)[0].upper(), member, key.key_id_hex)
        return post_as(cell, key, author, kind, subject, vis, body).index

    now = datetime.now(UTC)
    everyone = ["IL", "SY", "US"]
    body = {
        "report": REPORT,
        "title": "نشاط جوي قرب خط الفصل",
        "summary": SUMMARY,
        "body": "رصدت نقطة المراقبة 4 طائرة مسيّرة تحلّق على ارتفاع منخفض.",
        "lang": "ar",
        "window": {
            "start": rfc3339(now - timedelta(hours=6)),
            "end": rfc3339(now - timedelta(hours=2)),
        },
        "grading": {"source": "B", "info": 2},
        "releasability": everyone,
    }
    post("sy-liaison", intel_kinds.ISSUED, intel_kinds.report_subject(REPORT), everyone, body)
    seed_deescalation(cell, keys)
    with reading(cell.engine) as conn:
        incident, text = conn.execute(
            select(deesc_incidents.c.idx, deesc_incidents.c.description).order_by(
                deesc_incidents.c.idx
            )
        ).first()
    verified = {
        "entry": incident,
        "field": "description",
        "lang": "he",
        "text": HE,
        "of_sha256": sha256_text(text),
    }
    index = post("il-liaison", kinds.VERIFIED, f"tr/{incident}", everyone, verified)
    return int(incident), index


def test_report_summary_and_incident_translated_with_a_dispute_link(
    served: Served, browse: Browse, lt: Toy
) -> None:
    incident, verified = seed(served)
    w = browse(locale="he")
    il = w.page()
    sign_in(il, served, "il-liaison")

    il.goto(f"/intel/r/{REPORT}")
    il.wait_for_selector("html[data-translate=ready]", state="attached")
    box = il.locator("#intel-report .translation[data-field=summary]")
    expect(box).to_have_attribute("data-provenance", "machine", timeout=WAIT)
    expect(box.locator("bdi[lang=he][dir=rtl]")).to_have_text(f"he: {SUMMARY}")
    expect(box.locator(".provenance")).to_contain_text("LibreTranslate")
    expect(box.locator("a.dispute-translation")).to_have_count(0)  # not an entry: nothing to cite
    # the original stays, beside it
    expect(il.locator("#intel-report p.summary bdi[lang=ar]")).to_have_text(SUMMARY)

    il.goto(f"/deesc/items/{incident}")
    il.wait_for_selector("html[data-translate=ready]", state="attached")
    box = il.locator(f"#deesc-item .translation[data-entry='{incident}']")
    expect(box).to_have_attribute("data-provenance", "verified", timeout=WAIT)
    expect(box.locator("bdi[lang=he]")).to_have_text(HE)
    expect(box.locator(".provenance")).to_contain_text("il-liaison")
    link = box.locator("a.dispute-translation")
    expect(link).to_have_attribute("href", f"/disputes/new?about={verified}")
    with il.expect_navigation():
        link.click()
    expect(il.locator("#disputes-about")).to_have_attribute("data-index", str(verified))
    expect(il.locator("input[name=cites]")).to_have_value(str(verified))
    assert w.problems == []

    # a supervisor reads the same box but does not raise disputes: no link
    us = browse(locale="he").page()
    sign_in(us, served, "us-supervisor")
    us.goto(f"/deesc/items/{incident}")
    box = us.locator(f"#deesc-item .translation[data-entry='{incident}']")
    expect(box).to_have_attribute("data-provenance", "verified", timeout=WAIT)
    expect(box.locator("a.dispute-translation")).to_have_count(0)
