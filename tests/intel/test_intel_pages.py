"""The intelligence pages rendered by the app (no browser): what each party sees of a
report, the opening that showing the page records, and bad paths answered with a page."""

from __future__ import annotations

from typing import Any

import pytest

from fusioncell.intel.client import IntelClient
from fusioncell.web import i18n
from tests.intel.conftest import MakeMember, at, issue
from tests.web.marks import check_marks, marks


def page(http: Any, who: IntelClient, path: str, lang: str = "en", status: int = 200) -> str:
    http.cookies.set("fc_lang", lang)
    r = http.get(path, headers=who.headers)
    assert r.status_code == status, (path, r.text[:500])
    return str(r.text)


@pytest.mark.parametrize("lang", i18n.LOCALES)
def test_what_each_party_sees(member: MakeMember, http: Any, lang: str) -> None:
    il, sy, us = member("IL", "il-liaison"), member("SY", "sy-liaison"), member("US", "us-sup")
    issue(
        il,
        "convoy-p01",
        ["IL", "US"],
        body="גוף הדוח המלא",
        lang="he",
        title="שיירה",
        summary="תקציר",
    )
    issue(il, "convoy-p02", ["IL", "US"])
    il.release_summary(
        "convoy-p02", title="Movement", text="Vehicles moved.", lang="en", to=["IL", "SY", "US"]
    )
    sy.request("rfi-page-001", "IL", "Where to?", "en")

    listing = page(http, sy, "/intel", lang)
    assert "convoy-p01" not in listing and "/intel/r/convoy-p02" in listing
    assert 'data-rfi="rfi-page-001"' in listing
    assert (
        i18n.gettext(lang, "Summary only: the full report was withheld from your party.") in listing
    )
    page(http, sy, "/intel/r/convoy-p01", lang, 404)
    page(http, sy, "/intel/r/NOT-AN-ID", lang, 404)
    withheld = page(http, sy, "/intel/r/convoy-p02", lang)
    assert "Vehicles moved." in withheld and "Full detail" not in withheld
    assert il.openings("convoy-p02") == []  # the tear line is not the body

    att = il.upload(b"%PDF-1.4\nmap\n%%EOF\n", "map.pdf")
    issue(il, "convoy-p03", ["IL", "US"], attachments=[att])
    assert f"/api/v1/intel/reports/convoy-p03/files/{att['sha256']}" in page(
        http, us, "/intel/r/convoy-p03", lang
    )
    full = page(http, us, "/intel/r/convoy-p01", lang)
    assert "גוף הדוח המלא" in full and 'lang="he"' in full and 'id="intel-assess"' in full
    assert "intel-widen" not in full  # only the originator widens
    assert [o["party"] for o in il.openings("convoy-p01")] == ["US"]
    own = page(http, il, "/intel/r/convoy-p01", lang)
    assert 'id="intel-widen"' in own and 'id="intel-tearline"' in own and "intel-openings" in own
    answer = page(http, il, "/intel", lang)
    assert 'class="intel-answer row" data-rfi="rfi-page-001" data-visibility="IL,SY,US"' in answer


def test_a_party_released_to_later_has_the_widening_entrys_texts_translated(
    member: MakeMember, http: Any
) -> None:
    il, sy = member("IL", "il-liaison"), member("SY", "sy-liaison")
    first = issue(il, "convoy-p03", ["IL", "US"], body="גוף ראשון", lang="he", title="שיירה")
    il.correct(
        "convoy-p03",
        title="שיירה ליד הקו",
        summary="ארבע משאיות",
        body="גוף מתוקן",
        lang="he",
        window=(at(-6), at(-1)),
        grading="B1",
    )
    widened = il.widen("convoy-p03", ["IL", "SY", "US"]).index
    # SY may not read the versions' entries (written before it was released to); the
    # widening entry carries the current version's texts, and those are what is marked.
    one = page(http, sy, "/intel/r/convoy-p03", "ar")
    found = set(marks(one))
    assert {(widened, "title"), (widened, "summary"), (widened, "body")} <= found
    assert not {i for i, _ in found} & {first}  # the first version: nothing to translate by
    check_marks(http, sy, one)
    listing = page(http, sy, "/intel", "ar")
    assert {(widened, "title"), (widened, "summary")} <= set(marks(listing))
    check_marks(http, sy, listing)
    # the originator's party reads the versions themselves
    own = set(marks(page(http, il, "/intel/r/convoy-p03", "en")))
    assert (first, "body") in own and widened not in {i for i, _ in own}
