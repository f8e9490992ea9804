"""The disputes pages rendered by the app (no browser), in every language: the list and its
stage filter, a new dispute about an entry, a dispute with the accounts side by side, the
forms offered only to those the log would accept, and one 404 for hidden, missing and
malformed."""

from __future__ import annotations

from typing import Any

import pytest

from fusioncell.web import i18n
from tests.disputes.test_disputes import ACCOUNT_AR, ANSWER_HE, World
from tests.web.marks import check_marks, marks


def page(http: Any, who: Any, path: str, lang: str = "en", status: int = 200) -> str:
    http.cookies.set("fc_lang", lang)
    r = http.get(path, headers=who.headers)
    assert r.status_code == status, (path, r.text[:500])
    return str(r.text)


@pytest.fixture
def w(member: Any) -> World:
    return World(member)


@pytest.mark.parametrize("lang", i18n.LOCALES)
def test_list_new_and_dispute_pages(w: World, http: Any, lang: str) -> None:
    cited = w.message(w.il, ["IL", "SY", "US"], "הודעה", "he")
    hidden = w.message(w.il, ["IL", "US"], "רק לארה״ב", "he")
    did = w.raise_(cites=[cited])

    listing = page(http, w.il, "/disputes", lang)
    assert f'data-dispute="{did}"' in listing
    assert '<bdi lang="ar" dir="rtl">مصدر القصف</bdi>' in listing
    assert f'data-dispute="{did}"' not in page(http, w.il, "/disputes?stage=resolved", lang)
    assert f'data-dispute="{did}"' not in page(http, w.jo, "/disputes", lang)
    page(http, w.il, "/disputes?stage=nope", lang, 400)

    new = page(http, w.sy, f"/disputes/new?about={cited}", lang)
    assert (
        'id="disputes-new-form"' in new
        and f'name="cites" dir="ltr" inputmode="numeric" autocomplete="off" value="{cited}"' in new
    )
    assert 'href="/cell/t/' in new
    # An entry SY may not read: the same 404 as one never written.
    page(http, w.sy, f"/disputes/new?about={hidden}", lang, 404)
    page(http, w.sy, "/disputes/new?about=99999", lang, 404)
    assert 'id="disputes-new-form"' not in page(http, w.us, "/disputes/new", lang)

    own = page(http, w.sy, f"/disputes/d/{did}", lang)
    assert f'<bdi lang="ar" dir="rtl">{ACCOUNT_AR}</bdi>' in own
    assert 'id="dispute-withdraw-form"' in own and 'id="dispute-answer-form"' not in own
    assert f"/api/v1/disputes/{did}/evidence" in own
    other = page(http, w.il, f"/disputes/d/{did}", lang)
    assert 'id="dispute-answer-form"' in other and 'id="dispute-withdraw-form"' not in other
    assert 'id="dispute-finding-form"' not in other
    w.il.answer(did, ANSWER_HE, "he")
    sup = page(http, w.us, f"/disputes/d/{did}", lang)
    assert 'id="dispute-mediation-form"' in sup and 'id="dispute-answer-form"' not in sup
    assert f'<bdi lang="he" dir="rtl">{ANSWER_HE}</bdi>' in sup
    w.us.open_mediation(did)
    p = w.us.propose(did, "A proposal", "en").index
    sup = page(http, w.us, f"/disputes/d/{did}", lang)
    assert 'id="dispute-finding-form"' in sup and 'id="dispute-propose-form"' in sup
    assert 'id="dispute-resolve-form"' not in sup  # nobody has accepted yet
    head = page(http, w.il_head, f"/disputes/d/{did}", lang)
    assert f'data-proposal="{p}"' in head and 'id="dispute-accept-form"' in head
    assert 'id="dispute-accept-form"' not in page(http, w.il, f"/disputes/d/{did}", lang)
    w.il_head.accept(did, p)
    w.sy_head.accept(did, p)
    assert 'id="dispute-resolve-form"' in page(http, w.us, f"/disputes/d/{did}", lang)

    # Hidden, missing and malformed: the same 404 page.
    page(http, w.jo, f"/disputes/d/{did}", lang, 404)
    page(http, w.jo, "/disputes/d/nosuchdispute", lang, 404)
    page(http, w.jo, "/disputes/d/BAD!", lang, 404)


def test_every_text_marked_for_translation_and_times_in_the_readers_zone(
    w: World, http: Any
) -> None:
    did = w.raise_()
    raised = w.sy.dispute(did)["dispute"]["raised"]["index"]
    answer = w.il.answer(did, ANSWER_HE, "he").index
    opened = w.us.open_mediation(did, "Mediation opens.", "en").index
    finding = w.us.record_finding(did, "agreed", "Both confirm the time.", "en").index
    p = w.us.propose(did, "A joint visit.", "en").index
    rejected = w.il_head.reject(did, p, "לא מקובל.", "he").index
    referred = w.sy.refer(did, "next_round", "نحيله إلى الجولة.", "ar").index

    listing = page(http, w.il, "/disputes", "he")
    assert f'data-entry="{raised}" data-field="title"><a href="/disputes/d/{did}">' in listing
    check_marks(http, w.il, listing)
    html = page(http, w.il, f"/disputes/d/{did}", "he")
    expected = {
        (raised, "title"),
        (raised, "account"),
        (raised, "request"),
        (answer, "text"),
        (opened, "text"),
        (finding, "text"),
        (p, "text"),
        (rejected, "reason"),
        (referred, "reason"),
    }
    assert set(marks(html)) == expected
    items = check_marks(http, w.il, html, to="he")
    assert items[(answer, "text")]["reason"] == "same_language"
    # Times: the reader's party's zone (Jerusalem, UTC+2 in November), UTC on hover.
    assert '<time datetime="2026-11-26T09:00:00Z" title="2026-11-26 09:00:00 UTC">' in html
    assert "11:00:00" in html and "|when" not in html
    # The time in each stage, in the reader's language.
    assert 'class="duration" data-seconds="0">' in html
    sy = page(http, w.sy, f"/disputes/d/{did}", "ar")
    assert "12:00:00" in sy  # Damascus, UTC+3
    check_marks(http, w.sy, sy)
