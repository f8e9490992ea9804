"""The understandings pages rendered by the app (no browser), in every language: the list,
one understanding with its history, milestones, chart, reports and links, the forms
offered only to those the log would accept, and one 404 for unknown and malformed ids."""

from __future__ import annotations

from typing import Any

import pytest

from fusioncell.authz import Role
from fusioncell.disputes.client import DisputesClient
from fusioncell.web import i18n
from tests.understandings.conftest import MakeMember
from tests.understandings.test_understandings import thread
from tests.web.marks import check_marks, marks

HALT = "halt-military-activity"
AR_REASON = "لم يتوقف النشاط العسكري بعد."


def page(http: Any, who: Any, path: str, lang: str = "en", status: int = 200) -> str:
    http.cookies.set("fc_lang", lang)
    r = http.get(path, headers=who.headers)
    assert r.status_code == status, (path, r.text[:500])
    return str(r.text)


@pytest.mark.parametrize("lang", i18n.LOCALES)
def test_list_and_understanding_pages(member: MakeMember, http: Any, lang: str) -> None:
    us = member("US", "us-supervisor", Role.SUPERVISOR)
    il = member("IL", "il-head", Role.HEAD_OF_DELEGATION)
    sy = member("SY", "sy-head", Role.HEAD_OF_DELEGATION)
    il_liaison = member("IL", "il-liaison")
    hidden = thread(sy, "sy-us-thread", ["SY", "US"])
    shared = thread(sy, "shared-thread", ["IL", "SY", "US"])
    us.set_timeline(HALT, "2026-11-26", "2027-02-28", "Paris.", "en")
    sy.set_status(HALT, "disputed", AR_REASON, "ar", [shared, hidden])
    mid, _ = us.set_milestone(HALT, "وقف القصف", "ar", "2027-01-15T09:00:00Z", ["IL"])
    us.verify_report(HALT, "concerns", "Shelling reported.", "en", [shared])
    sy.link(HALT, hidden, "سري", "ar")
    il.link(HALT, shared, "שרשור משותף", "he")

    listing = page(http, il, "/understandings", lang)
    assert 'data-understanding="halt-military-activity" data-status="disputed"' in listing
    assert listing.count("data-understanding=") == 8
    assert '<bdi lang="ar" dir="rtl">وقف القصف</bdi>' in listing  # the next milestone
    assert 'id="understandings-record-form"' in listing  # a head records a stated one
    assert 'value="joint"' not in listing
    sup_list = page(http, us, "/understandings", lang)
    assert 'value="joint"' in sup_list

    html = page(http, il, f"/understandings/{HALT}", lang)
    assert f'<bdi lang="ar" dir="rtl">{AR_REASON}</bdi>' in html
    assert f'href="/cell/t/shared-thread" data-entry="{shared}"' in html
    assert f'<span data-entry="{hidden}">' in html  # cited, not described, to IL
    assert 'id="understanding-timeline"' in html and f'data-milestone="{mid}"' in html
    assert 'class="tl-row tl-open"' in html
    assert 'direction="rtl"' in html  # the Arabic title runs right to left in the chart
    assert "style=" not in html  # the CSP allows no inline style
    assert 'id="understanding-status-form"' in html  # IL is bound: its head stewards
    assert 'id="understanding-verify-form"' not in html
    assert "سري" not in html and f'<li data-entry="{hidden}">' not in html
    assert '<bdi lang="he" dir="rtl">שרשור משותף</bdi>' in html
    assert 'data-dir="rtl"' in html if lang in ("ar", "he") else 'data-dir="ltr"' in html

    sup = page(http, us, f"/understandings/{HALT}", lang)
    assert 'id="understanding-verify-form"' in sup and "سري" in sup
    liaison = page(http, il_liaison, f"/understandings/{HALT}", lang)
    assert 'id="understanding-status-form"' not in liaison
    assert 'id="understanding-link-form"' in liaison
    assert 'class="milestone-met-form"' not in liaison

    page(http, il, "/understandings/no-such-one", lang, 404)
    page(http, il, "/understandings/BAD!", lang, 404)


def test_the_disputes_about_it_are_on_its_page(member: MakeMember, http: Any) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    shared = thread(sy, "shared-thread", ["IL", "SY", "US"])
    token = sy.headers["Authorization"].removeprefix("Bearer ")
    d = DisputesClient(token=token, key=sy.key, party="SY", member="sy-liaison", http=http)
    did, _ = d.raise_dispute(
        ["IL", "US"], "القصف مستمر", "سقطت قذائف قرب القرية.", "وقف فوري.", "ar",
        cites=[shared], understanding=HALT,
    )  # fmt: skip
    [row] = il.understanding(HALT)["disputes"]
    assert row["id"] == did and row["stage"] == "raised" and row["party"] == "SY"
    assert il.understanding("security-arrangements")["disputes"] == []
    html = page(http, il, f"/understandings/{HALT}", "he")
    assert f'<li data-dispute="{did}">' in html and f'href="/disputes/d/{did}"' in html
    assert '<bdi lang="ar" dir="rtl">القصف مستمر</bdi>' in html
    assert f'data-dispute="{did}"' not in page(http, il, "/understandings/security-arrangements")


def test_an_auditor_reads_but_is_offered_no_form(member: MakeMember, http: Any) -> None:
    aud = member("IL", "il-aud", Role.AUDITOR)
    html = page(http, aud, f"/understandings/{HALT}")
    assert "<form" not in html.split('id="understandings"', 1)[1].split("</main>")[0]
    assert 'id="understandings-record-form"' not in page(http, aud, "/understandings")


def test_every_text_marked_for_translation_and_times_in_the_readers_zone(
    member: MakeMember, http: Any
) -> None:
    us = member("US", "us-supervisor", Role.SUPERVISOR)
    il = member("IL", "il-head", Role.HEAD_OF_DELEGATION)
    sy = member("SY", "sy-head", Role.HEAD_OF_DELEGATION)
    shared = thread(sy, "shared-thread", ["IL", "SY", "US"])
    uid = "water-sharing"
    rec = il.record(uid, "stated", "הסכמה על המים.", "he", ["IL", "SY"], "ישיבה בפריז").index
    status = sy.set_status(uid, "in_progress", "بدأ التنفيذ.", "ar", [shared]).index
    timeline = us.set_timeline(uid, "2026-11-26", "2027-02-28", "Agreed in Paris.", "en").index
    mid, ms = us.set_milestone(uid, "فتح القناة", "ar", "2027-01-15T09:00:00Z", ["IL"])
    moved = us.move_milestone(uid, mid, "2027-01-20T09:00:00Z", "Weather.", "en").index
    met = il.meet_milestone(uid, mid, "נפתח.", "he", [shared]).index
    verified = us.verify_report(uid, "concerns", "Partly open.", "en", [shared]).index
    linked = il.link(uid, shared, "שרשור משותף", "he").index

    listing = page(http, sy, "/understandings", "ar")
    assert f'data-entry="{rec}" data-field="text"><a href="/understandings/{uid}">' in listing
    check_marks(http, sy, listing)
    html = page(http, sy, f"/understandings/{uid}", "ar")
    assert set(marks(html)) == {
        (rec, "text"),
        (rec, "source"),
        (status, "reason"),
        (timeline, "reason"),
        (ms.index, "title"),
        (moved, "reason"),
        (met, "text"),
        (verified, "findings"),
        (linked, "note"),
    }
    check_marks(http, sy, html)
    # The charter's understandings are texts of the charter (in every language), not marked.
    assert f'data-understanding="{HALT}"' in listing
    assert 'data-field="text"><a href="/understandings/halt' not in listing
    # Due times in the reader's party's zone (Damascus, UTC+3), UTC on hover.
    assert '<time datetime="2027-01-20T09:00:00Z" title="2027-01-20 09:00:00 UTC">' in html
