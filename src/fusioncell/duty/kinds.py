"""Duty rosters' entries: their kinds and the shape of their bodies.

Every one is a statement signed by a member's device key, subject `duty/<party>`. Who
holds the duty is the cell's business, so rosters, requests and decisions are visible to
every party of the cell; a hand-over note is the party's own, visible to that party (and
to a party that sees all).

    duty.roster.published  {party, from, to, shifts: [{member, start, end}]}  party admin
    duty.handover.noted    {party, text, lang, to?}           the holder, outgoing or next
    duty.swap.requested    {party, shift, with, with_shift?}  the shift's holder
    duty.swap.approved     {party, request}                   party admin
    duty.swap.declined     {party, request}                   party admin
    duty.take.requested    {party, until?}                    a member of the party
    duty.take.approved     {party, request}                   party admin
    duty.take.declined     {party, request}                   party admin

Shapes are checked here, before anything is written (times are RFC 3339 with an offset,
normalised to UTC at millisecond precision like log times; a roster's shifts lie within
[from, to), each longer than zero, none overlapping another). What depends on the log's
state (members, roles, the present time, the shifts as they stand) is checked by the
projector inside the append's transaction.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fusioncell.charter.schema import Charter
from fusioncell.clock import rfc3339
from fusioncell.errors import N_, Invalid
from fusioncell.ledger.entry import MEMBER_RE
from fusioncell.messaging.kinds import check_fields, check_text

ROSTER = "duty.roster.published"
HANDOVER = "duty.handover.noted"
SWAP_REQUESTED = "duty.swap.requested"
SWAP_APPROVED = "duty.swap.approved"
SWAP_DECLINED = "duty.swap.declined"
TAKE_REQUESTED = "duty.take.requested"
TAKE_APPROVED = "duty.take.approved"
TAKE_DECLINED = "duty.take.declined"
DECISIONS = frozenset({SWAP_APPROVED, SWAP_DECLINED, TAKE_APPROVED, TAKE_DECLINED})
KINDS = frozenset({ROSTER, HANDOVER, SWAP_REQUESTED, TAKE_REQUESTED}) | DECISIONS
# Labels for the pages' lists of entries (to merge into fusioncell.web.labels.KIND_LABELS).
LABELS: dict[str, str] = {
    ROSTER: N_("Duty roster published"),
    HANDOVER: N_("Hand-over note"),
    SWAP_REQUESTED: N_("Duty swap requested"),
    SWAP_APPROVED: N_("Duty swap approved"),
    SWAP_DECLINED: N_("Duty swap declined"),
    TAKE_REQUESTED: N_("Asked to take the duty"),
    TAKE_APPROVED: N_("Taking the duty approved"),
    TAKE_DECLINED: N_("Taking the duty declined"),
}

SWAP = "swap"
TAKE = "take"

MAX_SHIFTS = 500  # per roster: three shifts a day for five months
MAX_SHIFT = timedelta(days=7)  # one person's turn
MAX_SPAN = timedelta(days=93)  # a roster's window
MAX_NOTE_CHARS = 4000

# RFC 3339 with seconds and an offset; at most milliseconds, the log's precision, so that
# normalising never shortens a shift to nothing.
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$")
SHIFT_RE = re.compile(r"^\d{1,15}\.\d{1,4}$")


def subject(party: str) -> str:
    return f"duty/{party}"


def check_time(value: Any, what: str) -> str:
    """An RFC 3339 time with an offset -> the log's form (UTC, milliseconds, Z)."""
    if not isinstance(value, str) or not _TIME_RE.match(value):
        raise Invalid(
            N_(
                "%(what)s must be an RFC 3339 time with seconds and an offset,"
                " e.g. 2026-11-26T08:00:00Z or 2026-11-26T10:00:00+02:00"
            ),
            what=what,
        )
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(N_("%(what)s is not a valid date and time"), what=what) from None
    return rfc3339(t.astimezone(UTC))


def parse_time(value: str) -> datetime:
    """A time in the log's form -> an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_member(value: Any, what: str = "member") -> str:
    if not isinstance(value, str) or not MEMBER_RE.match(value):
        raise Invalid(N_("%(what)s must be a member id"), what=what)
    return value


def check_shift_id(value: Any, what: str = "shift") -> str:
    if not isinstance(value, str) or not SHIFT_RE.match(value):
        raise Invalid(N_("%(what)s must be a shift id such as 12.1"), what=what)
    return value


def _party(value: Any, charter: Charter) -> str:
    if not isinstance(value, str) or value not in charter.codes:
        raise Invalid(N_("unknown party %(party)s"), party=str(value)[:8])
    return value


def _request(value: Any) -> int:
    if type(value) is not int or value < 1:
        raise Invalid(N_("request must be the log index of a request"))
    return value


@dataclass(frozen=True, slots=True)
class Shift:
    member: str
    start: str
    end: str


@dataclass(frozen=True, slots=True)
class Roster:
    party: str
    start: str
    end: str
    shifts: tuple[Shift, ...]


@dataclass(frozen=True, slots=True)
class Handover:
    party: str
    text: str
    lang: str
    to: str | None


@dataclass(frozen=True, slots=True)
class SwapRequest:
    party: str
    shift: str
    with_member: str
    with_shift: str | None


@dataclass(frozen=True, slots=True)
class TakeRequest:
    party: str
    until: str | None


@dataclass(frozen=True, slots=True)
class Decision:
    party: str
    request: int


def _roster(body: dict[str, Any], charter: Charter) -> Roster:
    check_fields(body, {"party", "from", "to", "shifts"})
    party = _party(body["party"], charter)
    lo = check_time(body["from"], "from")
    hi = check_time(body["to"], "to")
    if hi <= lo:
        raise Invalid(N_("a roster's 'to' must come after its 'from'"))
    if parse_time(hi) - parse_time(lo) > MAX_SPAN:
        raise Invalid(N_("a roster covers at most %(days)s days"), days=MAX_SPAN.days)
    raw = body["shifts"]
    if not isinstance(raw, list):
        raise Invalid(N_("shifts is a list of {member, start, end}"))
    if not raw:
        raise Invalid(N_("a roster has at least one shift"))
    if len(raw) > MAX_SHIFTS:
        raise Invalid(N_("a roster has at most %(n)s shifts"), n=MAX_SHIFTS)
    shifts: list[Shift] = []
    for n, s in enumerate(raw, start=1):
        if not isinstance(s, dict) or set(s) != {"member", "start", "end"}:
            raise Invalid(N_("shift %(n)s: a shift is {member, start, end}"), n=n)
        member = check_member(s["member"])
        start = check_time(s["start"], "start")
        end = check_time(s["end"], "end")
        if end <= start:
            raise Invalid(
                N_("shift %(n)s (%(member)s) is empty or ends before it starts"),
                n=n,
                member=member,
            )
        if parse_time(end) - parse_time(start) > MAX_SHIFT:
            raise Invalid(
                N_("shift %(n)s (%(member)s) is longer than %(days)s days"),
                n=n,
                member=member,
                days=MAX_SHIFT.days,
            )
        if start < lo or end > hi:
            raise Invalid(
                N_("shift %(n)s (%(member)s) lies outside the roster's from and to"),
                n=n,
                member=member,
            )
        shifts.append(Shift(member, start, end))
    # Sorted by start, each shift must end before the next begins: one holder at a time.
    order = sorted(range(len(shifts)), key=lambda i: shifts[i].start)
    for a, b in itertools.pairwise(order):
        if shifts[b].start < shifts[a].end:
            raise Invalid(
                N_("shifts %(a)s and %(b)s overlap (%(start)s): one holder at a time"),
                a=min(a, b) + 1,
                b=max(a, b) + 1,
                start=shifts[b].start,
            )
    return Roster(party, lo, hi, tuple(shifts))


def _handover(body: dict[str, Any], charter: Charter) -> Handover:
    check_fields(body, {"party", "text", "lang"}, frozenset({"to"}))
    party = _party(body["party"], charter)
    text, lang = check_text(body["text"], body["lang"], charter, max_chars=MAX_NOTE_CHARS)
    to = body.get("to")
    return Handover(party, text, lang, None if to is None else check_member(to, "to"))


def _swap(body: dict[str, Any], charter: Charter) -> SwapRequest:
    check_fields(body, {"party", "shift", "with"}, frozenset({"with_shift"}))
    party = _party(body["party"], charter)
    shift = check_shift_id(body["shift"])
    with_member = check_member(body["with"], "with")
    ws = body.get("with_shift")
    with_shift = None if ws is None else check_shift_id(ws, "with_shift")
    if with_shift == shift:
        raise Invalid(N_("a shift cannot be swapped with itself"))
    return SwapRequest(party, shift, with_member, with_shift)


def _take(body: dict[str, Any], charter: Charter) -> TakeRequest:
    check_fields(body, {"party"}, frozenset({"until"}))
    until = body.get("until")
    return TakeRequest(
        _party(body["party"], charter), None if until is None else check_time(until, "until")
    )


def _decision(body: dict[str, Any], charter: Charter) -> Decision:
    check_fields(body, {"party", "request"})
    return Decision(_party(body["party"], charter), _request(body["request"]))


_PARSERS: dict[str, Callable[[dict[str, Any], Charter], Any]] = {
    ROSTER: _roster,
    HANDOVER: _handover,
    SWAP_REQUESTED: _swap,
    TAKE_REQUESTED: _take,
    SWAP_APPROVED: _decision,
    SWAP_DECLINED: _decision,
    TAKE_APPROVED: _decision,
    TAKE_DECLINED: _decision,
}


def parse_body(kind: str, body: dict[str, Any], charter: Charter) -> Any:
    """Check a duty entry's body against its kind and the charter; return it typed."""
    parser = _PARSERS.get(kind)
    if parser is None:
        raise Invalid(N_("unknown duty entry kind %(kind)s"), kind=kind)
    return parser(body, charter)
