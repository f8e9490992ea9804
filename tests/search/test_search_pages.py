"""The search page in three languages: results with their snippet marked (escaped first),
links to the items, nothing hidden; bad input shown as a message, not a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fusioncell.cell import Cell
from fusioncell.web.search_pages import snippet_html
from tests.search.conftest import MakeMember
from tests.web.marks import check_marks, marks


def page(http: TestClient, headers: dict[str, str], lang: str, **params: str) -> tuple[int, str]:
    http.cookies.set("fc_lang", lang)
    r = http.get("/search", params=params, headers=headers)
    return r.status_code, r.text


@pytest.mark.parametrize("lang", ["ar", "he", "en"])
def test_the_page_in_three_languages(
    cell: Cell, member: MakeMember, http: TestClient, lang: str
) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    tid, _ = sy.cell.open_thread("general", "نقاش", "ar", ["SY", "US"])
    m = sy.cell.send(tid, "وَالمُفَاوَضَاتُ <script>alert(1)</script> مستمرة", "ar").index
    status, html = page(http, sy.search.headers, lang, q="مفاوضات")
    assert status == 200
    assert f'dir="{"ltr" if lang == "en" else "rtl"}"' in html
    assert f'href="/cell/t/{tid}#m-{m}"' in html
    assert "<mark>وَالمُفَاوَضَاتُ</mark>" in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert '<bdi lang="ar" dir="rtl">' in html
    # The text found is marked for translation beside it, its time in the reader's zone.
    assert marks(html) == [(m, "text")]
    check_marks(http, sy.search, html, whole=False)
    assert '<time datetime="' in html and 'title="' in html
    # IL is not in the thread: no result, no count.
    status, html = page(http, il.search.headers, lang, q="مفاوضات")
    assert status == 200 and f"/cell/t/{tid}" not in html and 'id="search-none"' in html
    # Empty: the form only; bad input: a message and a 400.
    status, html = page(http, sy.search.headers, lang)
    assert status == 200 and 'id="search-results"' not in html
    status, html = page(http, sy.search.headers, lang, q="?!")
    assert status == 400 and 'id="search-problem"' in html


def test_snippets_are_escaped_then_marked() -> None:
    html = str(
        snippet_html(
            [{"text": "<b>x</b> \u202e", "mark": False}, {"text": "<i>", "mark": True}], "en"
        )
    )
    assert html == (
        '<bdi lang="en" dir="ltr">&lt;b&gt;x&lt;/b&gt; [U+202E]<mark>&lt;i&gt;</mark></bdi>'
    )
