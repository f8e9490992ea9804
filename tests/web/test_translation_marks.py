"""The pages of the cell, intelligence, de-escalation, commerce, the board, the line, duty
and notifications mark every text a person wrote with the log entry that carries it
(`data-entry` + `data-field`, fusioncell.language.fields), so static/js/translate.js
draws the reader's translation beneath it; every time goes through `moment` (the reader's
zone, UTC on hover); every user text is isolated (<bdi>), bidi controls neutralised."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.commerce.demo import seed_commerce
from fusioncell.commerce.tables import commerce_interest, commerce_proposals, commerce_versions
from fusioncell.db import reading
from fusioncell.deesc.demo import seed_deescalation
from fusioncell.deesc.tables import deesc_clarifications, deesc_incidents
from fusioncell.demo import ACCOUNTS
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, post_as, register_member_key
from fusioncell.identity.tokens import create_token
from fusioncell.intel import kinds as intel_kinds
from fusioncell.intel.demo import IL_REPORT, SY_REPORT, seed_intel
from fusioncell.intel.tables import intel_assessments, intel_reports, intel_rfis
from fusioncell.language import fields
from fusioncell.ledger.entry import Author
from fusioncell.ledger.keys import SigningKey
from fusioncell.ledger.tables import log_entries
from tests.web.marks import marks as marks_in_order

TEMPLATES = Path(__file__).parents[2] / "src" / "fusioncell" / "web" / "templates"
MINE = [
    "home.html",
    "cell_inbox.html",
    "cell_message.html",
    "cell_new.html",
    "cell_thread.html",
    "intel.html",
    "intel_report.html",
    "deesc.html",
    "deesc_item.html",
    "deesc_lang.html",
    "deesc_place.html",
    "deesc_strings.html",
    "commerce.html",
    "commerce_form.html",
    "commerce_proposal.html",
    "board.html",
    "duty.html",
    "duty_board.html",
    "line.html",
    "notify_list.html",
    "notify_party.html",
    "notify_settings.html",
]
# Arabic with Latin digits and an English name: the log accepts it, and laid out without
# isolation the digits and the name would drift across the RTL text around them.
MIXED = "اجتماع مع John Smith الساعة 10:30 عند النقطة 4B"
THREAD = "bidi-thread"
PARTIES = ["IL", "SY", "US"]
TIME = re.compile(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" title="[^"]+ UTC"><bdi>')


@dataclass
class Seeded:
    cell: Cell
    keys: dict[str, SigningKey]
    tokens: dict[str, str]
    posted: int  # the message, then edited
    edited: int  # the edit's entry
    retracted: int  # the retraction's entry
    opened: int
    corrected: int  # the SY report's correction


def _post(s: Seeded | Any, member: str, kind: str, subject: str, vis: list[str], body: Any) -> int:
    key = s.keys[member]
    party = member.split("-", 1)[0].upper()
    author = Author(party, member, key.key_id_hex)
    return post_as(s.cell, key, author, kind, subject, vis, body).index


@pytest.fixture
def seeded(cell: Cell) -> Seeded:
    keys: dict[str, SigningKey] = {}
    tokens: dict[str, str] = {}
    for party, member, role in ACCOUNTS:
        do_add_member(cell, party, member, role)
        keys[member] = new_member_key(party, member, "seed")
        register_member_key(cell, party, member, keys[member].verifier.encode())
        _, tokens[member] = create_token(cell.engine, party, member, role, cell.clock.now())
    seed_commerce(cell, keys)
    seed_intel(cell, keys)
    seed_deescalation(cell, keys)
    s = Seeded(cell, keys, tokens, 0, 0, 0, 0, 0)
    sub = f"t/{THREAD}"
    topic = {"text": MIXED, "lang": "ar"}
    body = {"thread": THREAD, "workstream": "deescalation", "topic": topic, "parties": PARTIES}
    s.opened = _post(s, "sy-liaison", "cell.thread.opened", sub, PARTIES, body)
    msg = {"thread": THREAD, "urgency": "PRIORITY", "text": "نص أول", "lang": "ar"}
    s.posted = _post(s, "sy-liaison", "cell.message.posted", sub, PARTIES, msg)
    edit = {"thread": THREAD, "message": s.posted, "text": MIXED, "lang": "ar"}
    s.edited = _post(s, "sy-liaison", "cell.message.edited", sub, PARTIES, edit)
    gone = {"thread": THREAD, "urgency": "ROUTINE", "text": "خطأ", "lang": "ar"}
    other = _post(s, "sy-liaison", "cell.message.posted", sub, PARTIES, gone)
    reason = {"thread": THREAD, "message": other, "reason": {"text": "sent twice", "lang": "en"}}
    s.retracted = _post(s, "sy-liaison", "cell.message.retracted", sub, PARTIES, reason)
    now = cell.clock.now()
    window = {"start": rfc3339(now - timedelta(hours=6)), "end": rfc3339(now - timedelta(hours=2))}
    s.corrected = _post(
        s,
        "sy-liaison",
        intel_kinds.CORRECTED,
        intel_kinds.report_subject(SY_REPORT),
        ["SY", "US"],
        {
            "report": SY_REPORT,
            "title": "نشاط جوي قرب خط الفصل",
            "summary": MIXED,
            "body": "تصحيح: رصدت نقطة المراقبة 4 طائرة مسيّرة.",
            "lang": "ar",
            "window": window,
            "grading": {"source": "B", "info": 2},
        },
    )
    return s


def page(http: TestClient, s: Seeded, member: str, path: str, lang: str = "en") -> str:
    http.cookies.set("fc_lang", lang)
    r = http.get(path, headers={"Authorization": f"Bearer {s.tokens[member]}"})
    assert r.status_code == 200, (path, r.text[:300])
    return r.text


def marks(html: str) -> set[tuple[int, str]]:
    return set(marks_in_order(html))


def kind_of(cell: Cell, index: int) -> str:
    with reading(cell.engine) as conn:
        return str(
            conn.execute(select(log_entries.c.kind).where(log_entries.c.idx == index)).scalar()
        )


def check_registered(cell: Cell, found: set[tuple[int, str]]) -> None:
    """Every mark names a text its entry's kind has (the registry translate.js asks by)."""
    for index, field in found:
        assert field in fields.fields_of(kind_of(cell, index)), (index, field)


def test_the_cell_marks_the_current_version_topic_and_reason(
    seeded: Seeded, http: TestClient
) -> None:
    s = seeded
    thread = page(http, s, "il-liaison", f"/cell/t/{THREAD}", "he")
    found = marks(thread)
    # the edited message is translated from its edit (the text shown), not its first post
    assert (s.edited, "text") in found and (s.posted, "text") in found  # history: the first
    assert (s.opened, "topic") in found and (s.retracted, "reason") in found
    check_registered(s.cell, found)
    assert TIME.search(thread)
    inbox = page(http, s, "il-liaison", "/cell", "he")
    assert (s.opened, "topic") in marks(inbox) and TIME.search(inbox)
    one = page(http, s, "il-liaison", f"/cell/t/{THREAD}/m/{s.posted}")
    assert f'data-entry="{s.edited}" data-field="text"' in one
    home = page(http, s, "il-liaison", "/", "ar")
    check_registered(s.cell, marks(home))
    assert (s.edited, "text") in marks(home) and TIME.search(home)


def test_intelligence_marks_the_current_version_tear_line_assessments_and_rfis(
    seeded: Seeded, http: TestClient
) -> None:
    s = seeded
    with reading(s.cell.engine) as conn:
        tear = conn.execute(
            select(intel_reports.c.summary_idx).where(intel_reports.c.id == IL_REPORT)
        ).scalar()
        assessed = conn.execute(select(intel_assessments.c.idx)).scalars().all()
        rfi = conn.execute(select(intel_rfis.c.requested_idx)).scalar()
    listing = page(http, s, "us-supervisor", "/intel", "he")
    found = marks(listing)
    assert {(s.corrected, "title"), (s.corrected, "summary"), (rfi, "text")} <= found
    check_registered(s.cell, found)
    assert TIME.search(listing)
    report = page(http, s, "us-supervisor", f"/intel/r/{SY_REPORT}", "he")
    found = marks(report)
    assert {(s.corrected, f) for f in ("title", "summary", "body")} <= found
    first = min(i for i, f in found if f == "body")
    assert first < s.corrected and kind_of(s.cell, first) == intel_kinds.ISSUED  # earlier
    check_registered(s.cell, found)
    assert TIME.search(report)
    il = page(http, s, "us-supervisor", f"/intel/r/{IL_REPORT}")
    assert {(a, "text") for a in assessed} <= marks(il)
    # SY reads the IL report's tear line only: its own entry, title and text
    withheld = page(http, s, "sy-liaison", f"/intel/r/{IL_REPORT}", "ar")
    assert marks(withheld) == {(tear, "title"), (tear, "text")}


def test_deescalation_and_commerce_mark_their_texts(seeded: Seeded, http: TestClient) -> None:
    s = seeded
    with reading(s.cell.engine) as conn:
        incident = conn.execute(select(deesc_incidents.c.idx)).scalars().first()
        q, a = conn.execute(
            select(deesc_clarifications.c.idx, deesc_clarifications.c.answered_idx).where(
                deesc_clarifications.c.about == incident
            )
        ).one()
        pid, current = conn.execute(
            select(commerce_proposals.c.id, commerce_versions.c.idx)
            .join(commerce_versions, commerce_versions.c.proposal == commerce_proposals.c.id)
            .order_by(commerce_versions.c.idx.desc())
        ).first()
        interest = (
            conn.execute(select(commerce_interest.c.idx).where(commerce_interest.c.proposal == pid))
            .scalars()
            .all()
        )
    listing = page(http, s, "il-liaison", "/deesc", "he")
    assert (incident, "description") in marks(listing) and TIME.search(listing)
    item = page(http, s, "il-liaison", f"/deesc/items/{incident}", "he")
    found = marks(item)
    assert {(incident, "description"), (q, "question"), (a, "answer")} <= found
    check_registered(s.cell, found)
    assert TIME.search(item)
    c = page(http, s, "us-supervisor", "/commerce", "ar")
    assert (current, "title") in marks(c)
    p = page(http, s, "us-supervisor", f"/commerce/p/{pid}", "ar")
    found = marks(p)
    assert {(current, "title"), (current, "description")} <= found
    assert {(i, "text") for i in interest} <= found
    check_registered(s.cell, found)
    assert TIME.search(p)


@pytest.mark.parametrize(
    "path", ["/board", "/line", "/duty", "/notifications", "/notifications/settings"]
)
def test_times_on_the_other_pages_go_through_moment(
    seeded: Seeded, http: TestClient, path: str
) -> None:
    html = page(http, seeded, "us-supervisor", path, "he")
    # no raw ISO time is shown as text (a time in datetime= or data- attributes is fine)
    shown = re.sub(r"<[^>]+>", " ", html)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", shown), path
    if path == "/board":  # "as of", and the period's start
        assert TIME.search(html), path


def test_user_texts_are_isolated_with_their_language(seeded: Seeded, http: TestClient) -> None:
    s = seeded
    isolated = f'<bdi lang="ar" dir="rtl">{MIXED}</bdi>'
    for member, path in (
        ("il-liaison", f"/cell/t/{THREAD}"),
        ("il-liaison", "/cell"),
        ("il-liaison", "/"),
        ("us-supervisor", f"/intel/r/{SY_REPORT}"),
        ("us-supervisor", "/intel"),
    ):
        html = page(http, s, member, path, "en")
        assert isolated in html, path
        # markup cannot go in the window's title nor in a form field: text there is plain
        html = re.sub(r"<(title|textarea)[^>]*>.*?</\1>", "", html, flags=re.S)
        # nowhere bare: every occurrence of the text is the isolated one
        assert html.count(MIXED) == html.count(isolated), path


def test_a_bidi_control_in_a_user_text_is_shown_not_obeyed(
    seeded: Seeded, http: TestClient
) -> None:
    """The log refuses bidi controls in new texts; one that got in (an older entry, a file
    name) is neutralised where the page shows it."""
    from fusioncell.web.i18n import environment

    for name in MINE:
        environment("en").get_template(name)  # every template of these pages compiles
    t = environment("ar").from_string("{{ x|usertext('ar') }}")
    assert t.render(x="abc\u202edef") == '<bdi lang="ar" dir="rtl">abc[U+202E]def</bdi>'


# ---- a lint: user texts in these templates go through usertext or a <bdi> -------------------

USER_FIELDS = (
    "text",
    "topic.text",
    "title",
    "summary",
    "body",
    "description",
    "question",
    "answer",
    "reason",
    "name",
    "note",
)
# A notification's subject is a sentence in the reader's language, its user parts already
# isolated (FSI…PDI, fusioncell.notify.texts), the same text an e-mail carries.
COMPOSED = {"n.title"}
EXPR = re.compile(r"\{\{(.+?)\}\}", re.S)
# Places where markup cannot go: the page's <title>, an <option>, a form field's value.
RAW_OK = re.compile(r"<title>|\{% block title %\}|<option[^>]*>[^<]*$|<textarea[^>]*>$|value=\"$")


def bare_user_texts(source: str) -> list[str]:
    found = []
    for m in EXPR.finditer(source):
        expr = m.group(1).strip()
        head = expr.split("|")[0].strip()
        filters = [f.strip().split("(")[0] for f in expr.split("|")[1:]]
        if not re.fullmatch(r"[a-z_]+\.(" + "|".join(map(re.escape, USER_FIELDS)) + r")", head):
            continue
        if "usertext" in filters or "urlencode" in filters or expr in COMPOSED:
            continue
        before = source[: m.start()]
        line = before.rsplit("\n", 1)[-1]
        if RAW_OK.search(line) or re.search(r"<bdi[^>]*>$", line):
            continue
        if re.search(r'[a-z-]+="$', line):  # an attribute (title=, download=, data-)
            continue
        found.append(expr)
    return found


def test_the_lint_finds_a_bare_user_text() -> None:
    assert bare_user_texts("<p>{{ m.text }}</p>") == ["m.text"]
    assert bare_user_texts("<p>{{ m.text|truncate(9) }}</p>") == ["m.text|truncate(9)"]
    assert bare_user_texts("<p>{{ m.text|usertext(m.lang) }}</p>") == []
    assert bare_user_texts('<option value="x">{{ r.title }}</option>') == []


@pytest.mark.parametrize("name", MINE)
def test_no_bare_user_text_in_the_templates(name: str) -> None:
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    assert bare_user_texts(source) == [], name
