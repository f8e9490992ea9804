"""Translation and the glossary: the entries and the shape of their bodies.

    translation.verified   {entry, field, lang, text, of_sha256}   subject tr/<entry>
        a translator's signed translation of one text of an earlier entry (`field`, see
        fusioncell.language.fields) into `lang`; `of_sha256` is the SHA-256 of the original
        text (UTF-8) it translates. Visible to exactly the original entry's parties.
    glossary.term.proposed {term, texts: {ar, he, en}, note?: {text, lang}}  subject g/<term>
        a term's agreed equivalents as a party proposes them (a new proposal of a term
        already in the glossary replaces the earlier one and its agreements). Visible to
        every party of the cell.
    glossary.term.agreed   {term, version}                          subject g/<term>
        a party agrees to the proposal written at log index `version`.

Shapes are checked here; what depends on the log's state by the projector.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fusioncell.charter.schema import Charter
from fusioncell.errors import N_, Invalid
from fusioncell.messaging.kinds import BIDI_CONTROLS, check_fields, check_text

VERIFIED = "translation.verified"
PROPOSED = "glossary.term.proposed"
AGREED = "glossary.term.agreed"
KINDS = frozenset({VERIFIED, PROPOSED, AGREED})
LABELS: dict[str, str] = {
    VERIFIED: N_("Verified translation signed"),
    PROPOSED: N_("Glossary term proposed"),
    AGREED: N_("Glossary term agreed"),
}

TERM_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
FIELD_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_TERM_CHARS = 120
MAX_NOTE_CHARS = 1000


def translation_subject(entry: int) -> str:
    return f"tr/{entry}"


def term_subject(term: str) -> str:
    return f"g/{term}"


def check_term_id(value: Any) -> str:
    if not isinstance(value, str) or not TERM_RE.match(value):
        raise Invalid(N_("a term id is 2-64 of a-z, 0-9 and -"))
    return value


def _position(value: Any, what: str) -> int:
    if type(value) is not int or value < 1:
        raise Invalid(N_("%(what)s must be the log index of an entry"), what=what)
    return value


@dataclass(frozen=True, slots=True)
class Verified:
    entry: int
    field: str
    lang: str
    text: str
    of_sha256: str


@dataclass(frozen=True, slots=True)
class Proposed:
    term: str
    texts: dict[str, str]
    note: str | None
    note_lang: str | None


@dataclass(frozen=True, slots=True)
class Agreed:
    term: str
    version: int


def _verified(body: dict[str, Any], charter: Charter) -> Verified:
    check_fields(body, {"entry", "field", "lang", "text", "of_sha256"})
    field = body["field"]
    if not isinstance(field, str) or not FIELD_RE.match(field):
        raise Invalid(N_("field is the name of a text of the entry, such as text or body"))
    sha = body["of_sha256"]
    if not isinstance(sha, str) or not SHA256_RE.match(sha):
        raise Invalid(N_("of_sha256 is 64 lowercase hex digits"))
    text, lang = check_text(body["text"], body["lang"], charter, what="translation")
    return Verified(_position(body["entry"], "entry"), field, lang, text, sha)


def _equivalent(value: Any, lang: str) -> str:
    """A term in one language: one line of plain text."""
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value.strip()) > MAX_TERM_CHARS
        or any(c in BIDI_CONTROLS or unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value)
    ):
        raise Invalid(
            N_("the term in %(lang)s is one line of plain text of 1-%(limit)s characters"),
            lang=lang,
            limit=MAX_TERM_CHARS,
        )
    return " ".join(value.split())


def _proposed(body: dict[str, Any], charter: Charter) -> Proposed:
    check_fields(body, {"term", "texts"}, frozenset({"note"}))
    term = check_term_id(body["term"])
    texts = body["texts"]
    langs = charter.languages
    if not isinstance(texts, dict) or sorted(texts) != sorted(langs):
        raise Invalid(
            N_("texts gives the term in each of the cell's languages: %(languages)s"),
            languages=", ".join(langs),
        )
    clean = {lang: _equivalent(texts[lang], lang) for lang in sorted(langs)}
    note: str | None = None
    note_lang: str | None = None
    if "note" in body:
        n = body["note"]
        if not isinstance(n, dict) or set(n) != {"text", "lang"}:
            raise Invalid(N_("note is {text, lang}"))
        note, note_lang = check_text(
            n["text"], n["lang"], charter, max_chars=MAX_NOTE_CHARS, what="note"
        )
    return Proposed(term, clean, note, note_lang)


def _agreed(body: dict[str, Any], charter: Charter) -> Agreed:
    check_fields(body, {"term", "version"})
    return Agreed(check_term_id(body["term"]), _position(body["version"], "version"))


_PARSERS: dict[str, Callable[[dict[str, Any], Charter], Any]] = {
    VERIFIED: _verified,
    PROPOSED: _proposed,
    AGREED: _agreed,
}


def parse_body(kind: str, body: dict[str, Any], charter: Charter) -> Any:
    """Check a translation or glossary entry's body against its kind; return it typed."""
    parser = _PARSERS.get(kind)
    if parser is None:
        raise Invalid(N_("unknown language entry kind %(kind)s"), kind=kind)
    return parser(body, charter)
