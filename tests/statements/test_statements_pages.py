"""The statements' pages rendered by the app (no browser), in every language, and the
demo's statements."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fusioncell.authz import Principal, Role
from fusioncell.cell import Cell
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.ledger.keys import SigningKey
from fusioncell.statements import queries
from fusioncell.statements.demo import NEXT_ROUND, PARIS, paris_texts, seed_statements
from fusioncell.web import i18n
from tests.statements.conftest import MakeMember
from tests.web.marks import check_marks

TEXTS = {"ar": "نص عربي للبيان.", "en": "An English text.", "he": "טקסט עברי של ההצהרה."}


def page(http: Any, who: Any, path: str, lang: str = "en", status: int = 200) -> str:
    http.cookies.set("fc_lang", lang)
    r = http.get(path, headers=who.headers)
    assert r.status_code == status, (path, r.text[:500])
    return str(r.text)


@pytest.mark.parametrize("lang", i18n.LOCALES)
def test_pages(member: MakeMember, http: Any, lang: str) -> None:
    il = member("IL", "il-head", Role.HEAD_OF_DELEGATION)
    sy = member("SY", "sy-liaison")
    us = member("US", "us-head", Role.HEAD_OF_DELEGATION)
    sid, made = sy.draft(["IL", "US"], "Paris", "en", TEXTS, round="paris")
    hidden, _ = sy.draft(["US"], "US only", "en", {"en": "x"})
    sy.comment_on(sid, 1, "he", "עברי", "הערה.", "he")
    sy.propose(sid, 1, {**TEXTS, "en": "An amended English text."})

    listing = page(http, il, "/statements", lang)
    assert f'data-statement="{sid}"' in listing and hidden not in listing
    assert 'href="/statements/new"' not in page(http, member("IL", "il-duty", Role.DUTY_OFFICER),
                                                 "/statements", lang)  # fmt: skip
    assert 'id="statements-new-form"' in page(http, sy, "/statements/new", lang)
    one = page(http, il, f"/statements/s/{sid}", lang)
    assert 'id="statements-approve-form"' in one and 'id="statements-propose-form"' in one
    assert (
        'class="statement-text" data-lang="ar" lang="ar" dir="rtl">'
        '<bdi lang="ar" dir="rtl">نص عربي للبيان.</bdi></div>'
    ) in one
    # The texts are originals in every language: not marked for translation, but which
    # languages exist is shown; the title and the comments are marked.
    created = made.index
    assert f'<h1 id="s-title" data-entry="{created}" data-field="title">' in one
    assert 'class="statement-text" data-entry' not in one
    assert 'id="statements-languages"' in one and one.count('data-present="yes"') == 3
    assert re.search(r'class="text" data-entry="\d+" data-field="text"><bdi lang="he"', one)
    assert f'data-entry="{created}" data-field="title"><a href="/statements/s/{sid}">' in listing
    assert listing.count('data-present="yes"') == 3
    check_marks(http, il, one)
    check_marks(http, il, listing)
    assert 'id="statements-pdf"' not in one
    assert 'id="statements-approve-form"' not in page(http, sy, f"/statements/s/{sid}", lang)
    diff = page(http, il, f"/statements/s/{sid}/diff?a=1&b=2", lang)
    assert re.search(r"<ins>\s*amended\s*</ins>", diff) and "<del>" not in diff
    assert 'data-lang="ar" data-changed="no"' in diff
    for c in (il, member("SY", "sy-head", Role.HEAD_OF_DELEGATION), us):
        c.approve(sid)
    frozen = page(http, us, f"/statements/s/{sid}", lang)
    assert 'data-state="adopted"' in frozen and 'id="statements-pdf"' in frozen
    assert "statements-approve-form" not in frozen and "statements-propose-form" not in frozen
    assert "statements-comment-form" not in frozen
    page(http, il, f"/statements/s/{hidden}", lang, 404)
    page(http, il, "/statements/s/nosuchstatement", lang, 404)
    page(http, il, "/statements/s/BAD!", lang, 404)
    page(http, il, "/statements?state=nope", lang, 400)


MEMBERS = {
    "il-head": Role.HEAD_OF_DELEGATION,
    "il-liaison": Role.LIAISON_OFFICER,
    "sy-head": Role.HEAD_OF_DELEGATION,
    "sy-liaison": Role.LIAISON_OFFICER,
    "us-head": Role.HEAD_OF_DELEGATION,
}


def test_seeded_statements(cell: Cell) -> None:
    keys: dict[str, SigningKey] = {}
    for m, role in MEMBERS.items():
        party = m.split("-")[0].upper()
        do_add_member(cell, party, m, role)
        keys[m] = new_member_key(party, m)
        register_member_key(cell, party, m, keys[m].verifier.encode())
    seed_statements(cell, keys)
    sy = Principal("SY", "sy-liaison", Role.LIAISON_OFFICER)
    states = {s["id"]: s["state"] for s in queries.statements_list(cell, sy)}
    assert states == {PARIS: "adopted", NEXT_ROUND: "draft"}
    paris = queries.statement_view(cell, sy, PARIS)
    assert paris["current"]["texts"] == paris_texts(2)
    assert [a["member"] for a in paris["approvals"]] == ["il-head", "sy-head", "us-head"]
    assert paris["comments"][0]["version"] == 1
    draft = queries.statement_view(cell, sy, NEXT_ROUND)
    assert draft["missing_languages"] == ["ar"] and len(draft["comments"]) == 1
