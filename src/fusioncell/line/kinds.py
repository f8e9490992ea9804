"""The line's entries: checks that the line is answered, and its declared status.

Every one is visible to every party (the line's health is everyone's business). Check
entries have the subject `line/<check>`, status declarations the subject `line`.

    system.line_check.sent  {check, slot, parties}   the charter's timetable (the engine)
    line.check.requested    {check, parties}         on demand, by the supervisor
    line.check.answered     {check, party?}          by the party's duty holder
    line.status.declared    {state, text?, lang?}    "suspended" (with a reason) | "resumed"

Shapes are checked here, before anything is written; what depends on the log's state (is
the check open, who is on duty, is the line suspended already) is checked by the
projector inside the append's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fusioncell.charter.schema import Charter
from fusioncell.errors import N_, Invalid
from fusioncell.messaging.kinds import check_fields, check_text

SENT = "system.line_check.sent"
REQUESTED = "line.check.requested"
ANSWERED = "line.check.answered"
DECLARED = "line.status.declared"
CHECK_KINDS = frozenset({SENT, REQUESTED, ANSWERED})
KINDS = CHECK_KINDS | {DECLARED}
NAMESPACE = "line."  # every kind under it is this package's: others are refused

SUSPENDED = "suspended"
RESUMED = "resumed"
STATES = (SUSPENDED, RESUMED)

# A check's deadline (fusioncell.deadlines): kind, and the urgency notifications use.
DEADLINE_KIND = "line.check"
URGENCY = "IMMEDIATE"

CHECK_RE = re.compile(r"^[a-z0-9][a-z0-9-]{7,31}$")
SCHEDULED_PREFIX = "s-"  # ids of the timetable's checks; on-demand ids may not take it
STATUS_SUBJECT = "line"
MAX_REASON_CHARS = 2000


def check_subject(check: str) -> str:
    return f"line/{check}"


def check_of_subject(subj: str) -> str | None:
    return subj[5:] if subj.startswith("line/") else None


def check_key(check: str, party: str) -> str:
    """The deadline of `party`'s answer to `check`."""
    return f"check:{check}:{party}"


def check_check_id(value: Any) -> str:
    if not isinstance(value, str) or not CHECK_RE.match(value):
        raise Invalid(N_("a line check id is 8-32 of a-z, 0-9 and -"))
    return value


def _parties(value: Any, charter: Charter) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(p, str) for p in value)
        or value != sorted(set(value))
    ):
        raise Invalid(N_("parties is a sorted list of party codes, at least one"))
    unknown = [p for p in value if p not in charter.codes]
    if unknown:
        raise Invalid(N_("unknown party %(party)s"), party=unknown[0][:8])
    return tuple(value)


@dataclass(frozen=True, slots=True)
class CheckSent:
    """A check opened: by the timetable (`slot` set) or on demand (`slot` None)."""

    check: str
    parties: tuple[str, ...]
    slot: str | None = None


@dataclass(frozen=True, slots=True)
class CheckAnswered:
    check: str
    party: str | None


@dataclass(frozen=True, slots=True)
class StatusDeclared:
    state: str
    text: str | None
    lang: str | None


def _sent(body: dict[str, Any], charter: Charter) -> CheckSent:
    check_fields(body, {"check", "slot", "parties"})
    slot = body["slot"]
    if not isinstance(slot, str):
        raise Invalid(N_("slot must be an RFC 3339 time"))
    return CheckSent(check_check_id(body["check"]), _parties(body["parties"], charter), slot)


def _requested(body: dict[str, Any], charter: Charter) -> CheckSent:
    check_fields(body, {"check", "parties"})
    check = check_check_id(body["check"])
    if check.startswith(SCHEDULED_PREFIX):
        raise Invalid(
            N_("a check id starting with %(prefix)s is kept for the charter's timetable"),
            prefix=SCHEDULED_PREFIX,
        )
    return CheckSent(check, _parties(body["parties"], charter))


def _answered(body: dict[str, Any], charter: Charter) -> CheckAnswered:
    check_fields(body, {"check"}, frozenset({"party"}))
    party = body.get("party")
    if party is not None and (not isinstance(party, str) or party not in charter.codes):
        raise Invalid(N_("unknown party %(party)s"), party=str(party)[:8])
    return CheckAnswered(check_check_id(body["check"]), party)


def _declared(body: dict[str, Any], charter: Charter) -> StatusDeclared:
    check_fields(body, {"state"}, frozenset({"text", "lang"}))
    state = body["state"]
    if state not in STATES:
        raise Invalid(N_("state must be one of %(states)s"), states=", ".join(STATES))
    if "text" not in body and "lang" not in body:
        if state == SUSPENDED:
            raise Invalid(N_("say why the line is suspended: a reason is required"))
        return StatusDeclared(state, None, None)
    if "text" not in body or "lang" not in body:
        raise Invalid(N_("a reason is given as text with its lang"))
    text, lang = check_text(
        body["text"], body["lang"], charter, max_chars=MAX_REASON_CHARS, what="reason"
    )
    return StatusDeclared(state, text, lang)


_PARSERS: dict[str, Callable[[dict[str, Any], Charter], Any]] = {
    SENT: _sent,
    REQUESTED: _requested,
    ANSWERED: _answered,
    DECLARED: _declared,
}


def parse_body(kind: str, body: dict[str, Any], charter: Charter) -> Any:
    """Check a line entry's body against its kind and the charter; return it typed."""
    parser = _PARSERS.get(kind)
    if parser is None:
        raise Invalid(N_("unknown line entry kind %(kind)s"), kind=kind)
    return parser(body, charter)
