"""/statements in a real browser (Debian's Chromium through Playwright) against the real
app served by uvicorn: Syria's liaison officer drafts a statement in three languages and
comments on a passage; the heads of delegation of Israel (in Hebrew), Syria (in Arabic)
and the United States (in English) each approve it, signing the hash their browser
computes from the texts it shows; it is then frozen, with its PDF. Then axe over the
pages in Arabic and Hebrew. Every page is watched for console errors and CSP violations."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from fusioncell.authz import Role
from fusioncell.identity.accounts import do_add_member
from fusioncell.statements import kinds
from tests.web.conftest import Browse, Served
from tests.web.test_browser import sign_in

WAIT = 15_000  # ms
TEXTS = {
    "ar": "يجدّد الطرفان التزامهما بترتيبات أمن واستقرار دائمة لكلا البلدين.",
    "he": "הצדדים מחדשים את מחויבותם להסדרי ביטחון ויציבות בני קיימא.",
    "en": "The parties renew their commitment to lasting security arrangements.",
}


def ready(page: Any, path: str) -> None:
    page.goto(path)
    page.wait_for_selector("html[data-statements=ready]", state="attached")


def draft(page: Any) -> str:
    ready(page, "/statements/new")
    form = page.locator("#statements-new-form")
    form.locator("input[name=parties][value='IL,SY,US']").check()
    form.locator("select[name=lang]").select_option("ar")
    form.locator("select[name=round]").select_option("paris")
    form.locator("input[name=title]").fill("بيان مشترك")
    for lang, text in TEXTS.items():
        form.locator(f"textarea[name=text-{lang}]").fill(text)
    with page.expect_navigation(url=re.compile(r"/statements/s/[0-9a-f]{16}$"), timeout=WAIT):
        form.locator("button[type=submit]").click()
    page.wait_for_selector("html[data-statements=ready]", state="attached")
    return urlsplit(page.url).path.rsplit("/", 1)[1]


def test_drafted_approved_by_three_heads_and_frozen(served: Served, browse: Browse) -> None:
    cell = served.cell
    do_add_member(cell, "IL", "il-head", Role.HEAD_OF_DELEGATION)
    do_add_member(cell, "US", "us-head", Role.HEAD_OF_DELEGATION)
    sy = browse(locale="ar").page()
    sign_in(sy, served, "sy-liaison")
    sid = draft(sy)
    assert sy.get_attribute("html", "dir") == "rtl"
    expect(sy.locator(".statement-text[data-lang=he]")).to_have_text(TEXTS["he"])
    # A comment on a passage given by its offsets (code points): the quote fills itself.
    form = sy.locator("#statements-comment-form")
    start = TEXTS["ar"].index("أمن")
    form.locator("select[name=passage_lang]").select_option("ar")
    form.locator("input[name=start]").fill(str(start))
    form.locator("input[name=end]").fill(str(start + 3))
    expect(form.locator("textarea[name=quote]")).to_have_value("أمن")
    form.locator("textarea[name=text]").fill("نقترح إضافة كلمة الاستقرار هنا.")
    form.locator("button[type=submit]").click()
    expect(sy.locator("ol.comments li[data-party=SY]")).to_have_count(1, timeout=WAIT)
    assert sy.locator("#statements-approve-form").count() == 0  # a liaison officer

    digest = kinds.texts_hash(TEXTS)
    for member, locale, party in [("il-head", "he", "IL"), ("sy-head", "ar", "SY"),
                                  ("us-head", "en", "US")]:  # fmt: skip
        page = browse(locale=locale).page()
        sign_in(page, served, member)
        ready(page, f"/statements/s/{sid}")
        # What is signed is shown: the hash this browser computed from the texts shown.
        expect(page.locator("#statements-hash")).to_have_text(digest, timeout=WAIT)
        expect(page.locator("#statements-hash-server")).to_have_text(digest)
        page.locator("#statements-approve-form button[type=submit]").click()
        expect(page.locator(f"ul.approvals-now li[data-party={party}]")).to_have_attribute(
            "data-approved", "yes", timeout=WAIT
        )

    # Adopted by the last approval: frozen, and its PDF offered.
    ready(sy, f"/statements/s/{sid}")
    expect(sy.locator("#statements-head")).to_have_attribute("data-state", "adopted")
    for gone in ("approve", "propose", "comment"):
        expect(sy.locator(f"#statements-{gone}-form")).to_have_count(0)
    link = sy.locator("#statements-pdf")
    expect(link).to_have_attribute("href", re.compile(rf"/api/v1/statements/{sid}\.pdf"))
    r = sy.request.get(link.get_attribute("href"))
    assert r.status == 200 and r.body().startswith(b"%PDF")


@pytest.mark.parametrize("lang", ["ar", "he"])
def test_statement_pages_pass_axe(served: Served, browse: Browse, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = browse(locale=lang).page()
    sign_in(page, served, "sy-liaison")
    sid = draft(page)
    assert page.get_attribute("html", "dir") == "rtl"
    for path in (f"/statements/s/{sid}", "/statements", "/statements/new",
                 f"/statements/s/{sid}/diff?a=1&b=1"):  # fmt: skip
        page.goto(path)
        page.wait_for_load_state("load")
        results = Axe().run(page)
        assert results.violations_count == 0, (path, results.generate_report())
