"""A small lint of the templates of disputes, understandings, diplomacy, statements, the
glossary, search, the profile, device approval, sign-in and the error page: every user
text is isolated (`|usertext(lang)` or inside a `<bdi lang dir>`), never bare, so that an
Arabic or Hebrew text with Latin numbers or names cannot reorder the page around it; and
every time goes through `moment` (the reader's language and zone, UTC on hover).

Not isolated, on purpose: a text in an attribute (an input's value, a data- attribute),
in a <textarea>, an <option> or the page's <title> (none of which can hold markup; the
browser shows them as plain text of their own)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "fusioncell" / "web" / "templates"
PATTERNS = (
    "disputes*.html",
    "understandings*.html",
    "diplomacy*.html",
    "statements*.html",
    "glossary.html",
    "search.html",
    "profile.html",
    "admin_devices.html",
    "invite.html",
    "signin.html",
    "totp.html",
    "error.html",
)
FILES = sorted({p for pat in PATTERNS for p in TEMPLATES.glob(pat)})

EXPR = re.compile(r"\{\{(.*?)\}\}", re.S)
TAG = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S)
# The fields of the pages' rows that hold what a member wrote (and the local names the
# templates give such texts).
USER_FIELD = re.compile(
    r"(\.(title|account|request|text|texts|reason|findings|note|quote|label|user_agent|"
    r"place|summary|body|description|answer|question|topic|source)|\bo\.[ab]|^\s*(text|src))"
    r"\s*(\||\[|$)"
)
# What isolates a text by itself: the filter, and the macros and helpers that use it.
ISOLATED = re.compile(
    r"\|\s*(usertext|tojson|moment|number|ltr)\b|^\s*(show|original|snippet_html|lang_select)\("
)
# Elements whose content is plain text (no markup), and the page's <title> block.
PLAIN = ("textarea", "option", "title")
RAW_TIMES = re.compile(r"\|\s*when\b|\[:1[69]\]\s*\|\s*replace|replace\(\s*[\"']T[\"']")


def _skeleton(source: str) -> str:
    """The template with its tags and comments blanked (same length), so that a `>` in
    `{% if n > 1 %}` is not read as the end of an element."""
    return TAG.sub(lambda m: " " * len(m.group(0)), source)


def _inside(skel: str, pos: int, name: str) -> bool:
    before = skel[:pos].lower()
    return before.rfind(f"<{name}") > before.rfind(f"</{name}>")


def bare_user_texts(source: str) -> list[str]:
    """The `{{ ... }}` expressions of user texts shown without isolation."""
    skel = _skeleton(source)
    # Blank every expression too, so that what they contain is not read as markup.
    flat = EXPR.sub(lambda m: "x" * len(m.group(0)), skel)
    found = []
    for m in EXPR.finditer(skel):
        expr, pos = m.group(1), m.start()
        if not USER_FIELD.search(expr) or ISOLATED.search(expr):
            continue
        line = source[source.rfind("\n", 0, pos) + 1 : pos]
        if "{% block title %}" in line:
            continue
        before = flat[:pos]
        if before.rfind("<") > before.rfind(">"):  # in an attribute
            continue
        if any(_inside(flat, pos, name) for name in PLAIN):
            continue
        if before.lower().count("<bdi") > before.lower().count("</bdi>"):
            continue
        found.append(expr.strip())
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_user_text_is_isolated(path: Path) -> None:
    assert bare_user_texts(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_time_goes_through_moment(path: Path) -> None:
    assert RAW_TIMES.findall(path.read_text(encoding="utf-8")) == []


def test_the_lint_finds_a_bare_text_and_passes_an_isolated_one() -> None:
    bad = '<td><a href="/x">{{ r.title }}</a></td><p>{{ c.text }}</p>{{ text }}'
    assert bare_user_texts(bad) == ["r.title", "c.text", "text"]
    good = (
        "{% block title %}{{ d.title }}{% endblock %}<h1>{{ d.title|usertext(d.lang) }}</h1>"
        '<input value="{{ t.text }}"><textarea name="x">{{ v.text }}</textarea>'
        '{% if n > 1 %}<bdi lang="ar" dir="rtl">{{ o.a }}</bdi>{% endif %}'
        "<option>{{ pick(r.place).text }}</option>{{ show(m.title) }}{{ r.member }}"
    )
    assert bare_user_texts(good) == []
    assert len(RAW_TIMES.findall("{{ t|when }} {{ t[:16]|replace('T', ' ') }}")) == 2


def test_the_lint_covers_the_templates() -> None:
    names = {p.name for p in FILES}
    assert {"disputes_dispute.html", "understandings_item.html", "statements_one.html"} <= names
    assert {"diplomacy_meeting.html", "glossary.html", "search.html", "error.html"} <= names
