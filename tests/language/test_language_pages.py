"""The glossary's page in every language (no browser), the forms offered only to those the
log would accept, and the translation strings every signed-in page carries; the demo's
glossary and verified translation."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from fusioncell import demo
from fusioncell.authz import Principal, Role
from fusioncell.cell import Cell
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.language import queries
from fusioncell.language.demo import MESSAGE_AR, MESSAGE_HE, seed_language
from fusioncell.ledger.keys import SigningKey
from fusioncell.messaging.tables import cell_messages
from fusioncell.web import i18n
from tests.language.conftest import MakeMember
from tests.web.marks import check_marks, marks

TEXTS = {"ar": "معبر القنيطرة", "he": "מעבר קוניטרה", "en": "Quneitra crossing"}


def page(http: Any, who: Any, path: str, lang: str = "en", status: int = 200) -> str:
    http.cookies.set("fc_lang", lang)
    r = http.get(path, headers=who.headers)
    assert r.status_code == status, (path, r.text[:500])
    return str(r.text)


@pytest.mark.parametrize("lang", i18n.LOCALES)
def test_glossary_page(member: MakeMember, http: Any, lang: str) -> None:
    il = member("IL", "il-liaison")
    sy = member("SY", "sy-head", Role.HEAD_OF_DELEGATION)
    duty = member("SY", "sy-duty", Role.DUTY_OFFICER)
    html = page(http, il, "/glossary", lang)
    assert f'dir="{i18n.direction(lang)}"' in html
    assert 'id="glossary-new-form"' in html and 'href="/glossary"' in html
    il.propose_term("quneitra-crossing", TEXTS)
    html = page(http, sy, "/glossary", lang)
    assert 'data-term="quneitra-crossing" data-state="proposed"' in html
    assert '<bdi lang="he" dir="rtl">מעבר קוניטרה</bdi>' in html
    assert 'data-glossary="agree" data-term="quneitra-crossing"' in html
    assert 'data-party="IL" data-agreed="true"' in html
    assert 'data-party="SY" data-agreed="false"' in html
    # the proposer's party has agreed; a duty officer is offered nothing
    assert 'data-glossary="agree"' not in page(http, il, "/glossary", lang)
    html = page(http, duty, "/glossary", lang)
    assert 'data-glossary="agree"' not in html and 'id="glossary-new-form"' not in html
    # every signed-in page carries translate.js and its strings
    assert '<script type="module" src="/static/js/translate.js"></script>' in html
    assert 'id="translate-strings"' in html and 'data-may-translate="false"' in html
    assert 'data-may-translate="true"' in page(http, sy, "/", lang)


def test_a_terms_note_is_marked_for_translation(member: MakeMember, http: Any) -> None:
    il = member("IL", "il-liaison")
    sy = member("SY", "sy-head", Role.HEAD_OF_DELEGATION)
    v = il.propose_term("quneitra-crossing", TEXTS, ("המעבר היחיד הפתוח.", "he")).index
    html = page(http, sy, "/glossary", "ar")
    assert marks(html) == [(v, "note")]
    check_marks(http, sy, html)
    assert '<time datetime="2026-11-26T09:00:00Z"' in html  # proposed: moment, UTC on hover


MEMBERS = {
    "il-head": Role.HEAD_OF_DELEGATION,
    "il-liaison": Role.LIAISON_OFFICER,
    "sy-head": Role.HEAD_OF_DELEGATION,
    "sy-liaison": Role.LIAISON_OFFICER,
    "us-head": Role.HEAD_OF_DELEGATION,
    "us-supervisor": Role.SUPERVISOR,
}


def test_the_demo_glossary_and_translation(cell: Cell) -> None:
    keys: dict[str, SigningKey] = {}
    for m, role in MEMBERS.items():
        party = m.split("-")[0].upper()
        do_add_member(cell, party, m, role)
        keys[m] = new_member_key(party, m)
        register_member_key(cell, party, m, keys[m].verifier.encode())
    [sep] = [t for t in demo.THREADS if t[0] == "separation-line-0600"]
    demo._thread(cell, keys, *sep)  # the demo's thread with the message translated
    seed_language(cell, keys)
    il = Principal("IL", "il-liaison", Role.LIAISON_OFFICER)
    terms = queries.glossary(cell, il)
    assert {t["term"]: t["state"] for t in terms} == {
        "separation-line": "adopted",
        "quneitra-crossing": "adopted",
        "undof-zone": "adopted",
    }
    assert all(set(t["texts"]) == {"ar", "he", "en"} for t in terms)
    with cell.engine.connect() as conn:
        idx = conn.execute(
            select(cell_messages.c.idx).where(cell_messages.c.text == MESSAGE_AR)
        ).scalar_one()
    [item] = queries.translations(cell, il, [(idx, "text")], "he")["items"]
    assert item["original"]["text"] == MESSAGE_AR
    assert item["translation"]["provenance"] == "verified"
    assert item["translation"]["text"] == MESSAGE_HE
    assert item["translation"]["by"]["member"] == "il-liaison"
    assert [s["term"] for s in item["original"]["terms"]] == ["separation-line"]
    assert [s["term"] for s in item["translation"]["terms"]] == ["separation-line"]
