"""The communication cell's entries: their kinds and the shape of their bodies.

Every one is a statement signed by a member's device key, subject `t/<thread>`, visible to
exactly the thread's parties. Messages, edits, retractions and acknowledgements refer to
a message by the log index of the entry that posted it.

    cell.thread.opened        {thread, workstream, topic: {text, lang}, parties}
    cell.message.posted       {thread, urgency, text, lang, reply_to?, attachments?}
    cell.message.edited       {thread, message, text, lang}
    cell.message.retracted    {thread, message, reason?: {text, lang}}
    cell.message.acknowledged {thread, message}        "received and understood"
    cell.message.pinned       {thread, message}
    cell.message.unpinned     {thread, message}

Shapes are checked here, before anything is written; what depends on the log's state
(does the thread exist, was it acknowledged already) is checked by the projector inside
the append's transaction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fusioncell.charter.schema import Charter
from fusioncell.errors import N_, Invalid

THREAD_OPENED = "cell.thread.opened"
POSTED = "cell.message.posted"
EDITED = "cell.message.edited"
RETRACTED = "cell.message.retracted"
ACKNOWLEDGED = "cell.message.acknowledged"
PINNED = "cell.message.pinned"
UNPINNED = "cell.message.unpinned"
ON_MESSAGE = frozenset({EDITED, RETRACTED, ACKNOWLEDGED, PINNED, UNPINNED})
KINDS = frozenset({THREAD_OPENED, POSTED}) | ON_MESSAGE

THREAD_RE = re.compile(r"^[a-z0-9][a-z0-9-]{7,31}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_TOPIC_CHARS = 200
MAX_ATTACHMENTS = 10
MAX_NAME_CHARS = 200

# Characters that change the order in which text is shown (embeddings, overrides,
# isolates): a message holding them could display differently from what was signed.
# The marks LRM, RLM and ALM only set a direction and are part of normal typing.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ALLOWED_CONTROLS = frozenset("\n\t")


def subject(thread: str) -> str:
    return f"t/{thread}"


def thread_of_subject(subj: str) -> str | None:
    return subj[2:] if subj.startswith("t/") else None


def check_text(
    value: Any, lang: Any, charter: Charter, *, max_chars: int | None = None, what: str = "text"
) -> tuple[str, str]:
    """A person's text with its language: refused when empty, too long, or when it holds
    characters that would make it show something other than what was signed."""
    if not isinstance(value, str):
        raise Invalid(N_("%(what)s must be a string"), what=what)
    if not isinstance(lang, str) or lang not in charter.languages:
        raise Invalid(
            N_("language must be one of the cell's languages: %(languages)s"),
            languages=", ".join(charter.languages),
        )
    text = value.strip()
    if not text:
        raise Invalid(N_("%(what)s is empty"), what=what)
    limit = max_chars or charter.cell.max_text_chars
    if len(text) > limit:
        raise Invalid(N_("%(what)s is longer than %(limit)s characters"), what=what, limit=limit)
    for ch in text:
        if ch in BIDI_CONTROLS:
            raise Invalid(
                N_(
                    "%(what)s holds the bidi control character U+%(code)s, which would reorder"
                    " what it shows: remove it"
                ),
                what=what,
                code=f"{ord(ch):04X}",
            )
        if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS:
            raise Invalid(
                N_("%(what)s holds the control character U+%(code)s"),
                what=what,
                code=f"{ord(ch):04X}",
            )
    return text, lang


def _index(value: Any, what: str) -> int:
    if type(value) is not int or value < 1:
        raise Invalid(N_("%(what)s must be the log index of a message"), what=what)
    return value


def check_fields(
    body: dict[str, Any], required: set[str], optional: frozenset[str] = frozenset()
) -> None:
    """The body has every field of `required`, and no other than those of `optional` (the
    salt aside): the one place the capabilities' parsers check a body's shape."""
    keys = set(body) - {"salt"}
    missing = required - keys
    if missing:
        raise Invalid(N_("body lacks %(fields)s"), fields=", ".join(sorted(missing)))
    extra = keys - required - optional
    if extra:
        raise Invalid(N_("body has unknown fields %(fields)s"), fields=", ".join(sorted(extra)))


def check_thread_id(value: Any) -> str:
    if not isinstance(value, str) or not THREAD_RE.match(value):
        raise Invalid(N_("a thread id is 8-32 of a-z, 0-9 and -"))
    return value


@dataclass(frozen=True, slots=True)
class Attachment:
    sha256: str
    name: str
    type: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "name": self.name, "type": self.type, "size": self.size}


def _attachments(value: Any) -> list[Attachment]:
    if not isinstance(value, list) or len(value) > MAX_ATTACHMENTS:
        raise Invalid(N_("attachments is a list of at most %(n)s files"), n=MAX_ATTACHMENTS)
    out: list[Attachment] = []
    for a in value:
        if not isinstance(a, dict) or set(a) != {"sha256", "name", "type", "size"}:
            raise Invalid(N_("an attachment is {sha256, name, type, size}"))
        if not isinstance(a["sha256"], str) or not SHA256_RE.match(a["sha256"]):
            raise Invalid(N_("an attachment's sha256 is 64 lowercase hex digits"))
        name = a["name"]
        if (
            not isinstance(name, str)
            or not name.strip()
            or len(name) > MAX_NAME_CHARS
            or any(c in BIDI_CONTROLS or unicodedata.category(c) == "Cc" for c in name)
        ):
            raise Invalid(N_("an attachment's name must be plain text of 1-200 characters"))
        if not isinstance(a["type"], str) or type(a["size"]) is not int or a["size"] < 1:
            raise Invalid(N_("an attachment's type is text and its size a positive number"))
        out.append(Attachment(a["sha256"], name, a["type"], a["size"]))
    if len({a.sha256 for a in out}) != len(out):
        raise Invalid(N_("the same file is attached twice"))
    return out


@dataclass(frozen=True, slots=True)
class ThreadOpened:
    thread: str
    workstream: str
    topic: str
    topic_lang: str
    parties: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Posted:
    thread: str
    urgency: str
    text: str
    lang: str
    reply_to: int | None
    attachments: tuple[Attachment, ...]


@dataclass(frozen=True, slots=True)
class OnMessage:
    """An edit, retraction, acknowledgement, pin or unpin of one message."""

    thread: str
    message: int
    text: str | None = None
    lang: str | None = None


def _thread_opened(body: dict[str, Any], charter: Charter) -> ThreadOpened:
    check_fields(body, {"thread", "workstream", "topic", "parties"})
    thread = check_thread_id(body["thread"])
    ws = body["workstream"]
    if not isinstance(ws, str) or ws not in {w.id for w in charter.workstreams}:
        raise Invalid(N_("unknown workstream %(ws)s"), ws=str(ws)[:40])
    topic = body["topic"]
    if not isinstance(topic, dict) or set(topic) != {"text", "lang"}:
        raise Invalid(N_("topic is {text, lang}"))
    text, lang = check_text(
        topic["text"], topic["lang"], charter, max_chars=MAX_TOPIC_CHARS, what="topic"
    )
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
            N_("the charter puts the supervisor %(party)s in every thread"), party=sup.code
        )
    return ThreadOpened(thread, ws, text, lang, tuple(parties))


def _posted(body: dict[str, Any], charter: Charter) -> Posted:
    check_fields(
        body, {"thread", "urgency", "text", "lang"}, frozenset({"reply_to", "attachments"})
    )
    thread = check_thread_id(body["thread"])
    urgency = body["urgency"]
    levels = [u.level.value for u in charter.urgency_levels]
    if not isinstance(urgency, str) or urgency not in levels:
        raise Invalid(N_("urgency must be one of %(levels)s"), levels=", ".join(levels))
    text, lang = check_text(body["text"], body["lang"], charter)
    reply_to = body.get("reply_to")
    if reply_to is not None:
        reply_to = _index(reply_to, "reply_to")
    atts = _attachments(body.get("attachments", []))
    return Posted(thread, urgency, text, lang, reply_to, tuple(atts))


def _edited(body: dict[str, Any], charter: Charter) -> OnMessage:
    check_fields(body, {"thread", "message", "text", "lang"})
    text, lang = check_text(body["text"], body["lang"], charter)
    return OnMessage(
        check_thread_id(body["thread"]), _index(body["message"], "message"), text, lang
    )


def _retracted(body: dict[str, Any], charter: Charter) -> OnMessage:
    check_fields(body, {"thread", "message"}, frozenset({"reason"}))
    text: str | None = None
    lang: str | None = None
    reason = body.get("reason")
    if reason is not None:
        if not isinstance(reason, dict) or set(reason) != {"text", "lang"}:
            raise Invalid(N_("reason is {text, lang}"))
        text, lang = check_text(reason["text"], reason["lang"], charter, what="reason")
    return OnMessage(
        check_thread_id(body["thread"]), _index(body["message"], "message"), text, lang
    )


def _on_message(body: dict[str, Any], charter: Charter) -> OnMessage:
    check_fields(body, {"thread", "message"})
    return OnMessage(check_thread_id(body["thread"]), _index(body["message"], "message"))


_PARSERS: dict[str, Callable[[dict[str, Any], Charter], Any]] = {
    THREAD_OPENED: _thread_opened,
    POSTED: _posted,
    EDITED: _edited,
    RETRACTED: _retracted,
    ACKNOWLEDGED: _on_message,
    PINNED: _on_message,
    UNPINNED: _on_message,
}


def parse_body(kind: str, body: dict[str, Any], charter: Charter) -> Any:
    """Check a cell entry's body against its kind and the charter; return it typed."""
    parser = _PARSERS.get(kind)
    if parser is None:
        raise Invalid(N_("unknown cell entry kind %(kind)s"), kind=kind)
    return parser(body, charter)
