"""Joint statements: the entries and the shape of their bodies.

Every one is a statement signed by a member's device key, subject `s/<statement>`, visible
to exactly the statement's parties (chosen when it is created; the supervisor always,
where the charter puts it in every thread).

    statement.created          {statement, parties, title, lang, round?, texts}  version 1
    statement.version.proposed {statement, base, texts}                 version base + 1
    statement.comment.added    {statement, version, passage: {lang, start, end, quote},
                                text, lang}
    statement.approved         {statement, version, sha256}

`texts` maps a language of the cell to the statement's text in it (at least one; adoption
needs all). `sha256` is the hex SHA-256 of the RFC 8785 bytes of the approved version's
`texts` (`texts_hash`). A passage's offsets count Unicode code points, `[start, end)`.
Shapes are checked here; what depends on the log's state is checked by the projector.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fusioncell.charter.schema import Charter
from fusioncell.errors import N_, Invalid
from fusioncell.ledger.canonical import canonical, sha256_hex
from fusioncell.messaging.kinds import check_fields, check_text

CREATED = "statement.created"
VERSION = "statement.version.proposed"
COMMENT = "statement.comment.added"
APPROVED = "statement.approved"
KINDS = frozenset({CREATED, VERSION, COMMENT, APPROVED})
# Labels for the pages' lists of entries (merged into fusioncell.web.labels.KIND_LABELS).
LABELS: dict[str, str] = {
    CREATED: N_("Joint statement drafted"),
    VERSION: N_("Joint statement: new version proposed"),
    COMMENT: N_("Joint statement: comment on a passage"),
    APPROVED: N_("Joint statement approved"),
}

DRAFT = "draft"
ADOPTED = "adopted"
STATES = (DRAFT, ADOPTED)
STATE_NAMES = {DRAFT: N_("Draft"), ADOPTED: N_("Adopted")}

STATEMENT_RE = re.compile(r"^[a-z0-9][a-z0-9-]{7,31}$")
HASH_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_TITLE_CHARS = 200


def subject(statement: str) -> str:
    return f"s/{statement}"


def statement_of_subject(subj: str) -> str | None:
    return subj[2:] if subj.startswith("s/") else None


def check_statement_id(value: Any) -> str:
    if not isinstance(value, str) or not STATEMENT_RE.match(value):
        raise Invalid(N_("a statement id is 8-32 of a-z, 0-9 and -"))
    return value


def texts_hash(texts: dict[str, str]) -> str:
    """What a head of delegation signs: SHA-256 of the RFC 8785 bytes of the texts."""
    return sha256_hex(canonical(texts))


@dataclass(frozen=True, slots=True)
class Created:
    statement: str
    parties: tuple[str, ...]
    title: str
    lang: str
    round: str | None
    texts: dict[str, str]


@dataclass(frozen=True, slots=True)
class Version:
    statement: str
    base: int
    texts: dict[str, str]


@dataclass(frozen=True, slots=True)
class Passage:
    lang: str
    start: int
    end: int
    quote: str

    def to_json(self) -> dict[str, Any]:
        return {"lang": self.lang, "start": self.start, "end": self.end, "quote": self.quote}


@dataclass(frozen=True, slots=True)
class Comment:
    statement: str
    version: int
    passage: Passage
    text: str
    lang: str


@dataclass(frozen=True, slots=True)
class Approval:
    statement: str
    version: int
    sha256: str


def _number(value: Any, what: str, low: int) -> int:
    if type(value) is not int or value < low or value > 2**31:
        raise Invalid(N_("%(what)s is a whole number from %(low)s"), what=what, low=low)
    return value


def _texts(value: Any, charter: Charter) -> dict[str, str]:
    """One text per language of the cell, at least one; each checked as any person's text.
    Kept as checked (trimmed): what the pages show is what the approvals hash."""
    if not isinstance(value, dict) or not value:
        raise Invalid(N_("texts maps a language of the cell to the statement's text in it"))
    out: dict[str, str] = {}
    for lang in sorted(value):
        text, _ = check_text(value[lang], lang, charter, what=f"the {lang} text")
        out[lang] = text
    return out


def _created(body: dict[str, Any], charter: Charter) -> Created:
    check_fields(body, {"statement", "parties", "title", "lang", "texts"}, frozenset({"round"}))
    statement = check_statement_id(body["statement"])
    parties = body["parties"]
    if (
        not isinstance(parties, list)
        or len(parties) < 2
        or not all(isinstance(p, str) for p in parties)
        or parties != sorted(set(parties))
    ):
        raise Invalid(N_("parties is a sorted list of at least two party codes"))
    unknown = [p for p in parties if p not in charter.codes]
    if unknown:
        raise Invalid(N_("unknown party %(party)s"), party=unknown[0][:8])
    sup = charter.supervisor
    if charter.cell.supervisor_in_every_thread and sup is not None and sup.code not in parties:
        raise Invalid(
            N_("the charter puts the supervisor %(party)s in every statement"), party=sup.code
        )
    title, lang = check_text(
        body["title"], body["lang"], charter, max_chars=MAX_TITLE_CHARS, what="title"
    )
    rnd = body.get("round")
    if rnd is not None and (not isinstance(rnd, str) or rnd not in {r.id for r in charter.rounds}):
        raise Invalid(N_("unknown round %(id)s"), id=str(rnd)[:40])
    return Created(statement, tuple(parties), title, lang, rnd, _texts(body["texts"], charter))


def _version(body: dict[str, Any], charter: Charter) -> Version:
    check_fields(body, {"statement", "base", "texts"})
    return Version(
        check_statement_id(body["statement"]),
        _number(body["base"], "base", 1),
        _texts(body["texts"], charter),
    )


def _passage(value: Any, charter: Charter) -> Passage:
    if not isinstance(value, dict) or set(value) != {"lang", "start", "end", "quote"}:
        raise Invalid(N_("passage is {lang, start, end, quote}"))
    lang = value["lang"]
    if not isinstance(lang, str) or lang not in charter.languages:
        raise Invalid(
            N_("language must be one of the cell's languages: %(languages)s"),
            languages=", ".join(charter.languages),
        )
    start = _number(value["start"], "start", 0)
    end = _number(value["end"], "end", 1)
    if end <= start:
        raise Invalid(N_("a passage ends after it starts"))
    quote = value["quote"]
    if not isinstance(quote, str) or len(quote) != end - start:
        raise Invalid(N_("quote is the passage's text, end - start characters long"))
    return Passage(lang, start, end, quote)


def _comment(body: dict[str, Any], charter: Charter) -> Comment:
    check_fields(body, {"statement", "version", "passage", "text", "lang"})
    text, lang = check_text(body["text"], body["lang"], charter)
    return Comment(
        check_statement_id(body["statement"]),
        _number(body["version"], "version", 1),
        _passage(body["passage"], charter),
        text,
        lang,
    )


def _approved(body: dict[str, Any], charter: Charter) -> Approval:
    check_fields(body, {"statement", "version", "sha256"})
    digest = body["sha256"]
    if not isinstance(digest, str) or not HASH_RE.match(digest):
        raise Invalid(N_("sha256 is 64 lowercase hex digits"))
    return Approval(
        check_statement_id(body["statement"]), _number(body["version"], "version", 1), digest
    )


_PARSERS: dict[str, Callable[[dict[str, Any], Charter], Any]] = {
    CREATED: _created,
    VERSION: _version,
    COMMENT: _comment,
    APPROVED: _approved,
}


def parse_body(kind: str, body: dict[str, Any], charter: Charter) -> Any:
    """Check a statement entry's body against its kind and the charter; return it typed."""
    parser = _PARSERS.get(kind)
    if parser is None:
        raise Invalid(N_("unknown statement entry kind %(kind)s"), kind=kind)
    return parser(body, charter)
