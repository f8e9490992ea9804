"""Diplomatic engagement: the entries of rounds and meetings and the shape of their bodies.

Every one is a statement signed by a member's device key. Round entries have subject
`dr/<round>` and are visible to exactly the round's parties; meeting entries have subject
`dm/<meeting>` and are visible to exactly the meeting's parties. A round's or meeting's
parties are its delegations' parties, the supervising party always among them.

    diplomacy.round.recorded     {round, place, start, end, delegations, note?, follows?}
    diplomacy.round.revised      {round, place, start, end, delegations, note?}
    diplomacy.round.next         {round, next}          "YYYY-MM-DD" or "not_scheduled"
    diplomacy.meeting.scheduled  {round, meeting, title, place, start, end, tz,
                                  delegations, agenda}
    diplomacy.minutes.recorded   {meeting, text, lang}  a new version, never an overwrite
    diplomacy.outcome.recorded   {meeting, text, lang}
    diplomacy.followup.added     {meeting, item, text, lang, party, due?}
    diplomacy.followup.closed    {meeting, item, text, lang}   the closing note

`place`, `title` and `note` are texts in one or more of the cell's languages, the original
first: [{text, lang}, ...]. A delegation is {party, roles}: the roles attending. Dates are
"YYYY-MM-DD"; a meeting's `start` and `end` are local times "YYYY-MM-DDTHH:MM" in its IANA
time zone `tz`. Shapes are checked here; what depends on the log's state is checked by the
projector.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fusioncell.authz import Role
from fusioncell.charter.schema import Charter
from fusioncell.errors import N_, Invalid
from fusioncell.messaging.kinds import check_fields, check_text

ROUND_RECORDED = "diplomacy.round.recorded"
ROUND_REVISED = "diplomacy.round.revised"
ROUND_NEXT = "diplomacy.round.next"
MEETING = "diplomacy.meeting.scheduled"
MINUTES = "diplomacy.minutes.recorded"
OUTCOME = "diplomacy.outcome.recorded"
FOLLOWUP = "diplomacy.followup.added"
CLOSED = "diplomacy.followup.closed"
ROUND_KINDS = frozenset({ROUND_RECORDED, ROUND_REVISED, ROUND_NEXT})
MEETING_KINDS = frozenset({MEETING, MINUTES, OUTCOME, FOLLOWUP, CLOSED})
KINDS = ROUND_KINDS | MEETING_KINDS
# Labels for the pages' lists of entries (merged into fusioncell.web.labels.KIND_LABELS).
LABELS: dict[str, str] = {
    ROUND_RECORDED: N_("Round recorded"),
    ROUND_REVISED: N_("Round revised"),
    ROUND_NEXT: N_("Next round changed"),
    MEETING: N_("Meeting scheduled"),
    MINUTES: N_("Minutes recorded"),
    OUTCOME: N_("Outcome recorded"),
    FOLLOWUP: N_("Follow-up item added"),
    CLOSED: N_("Follow-up item closed"),
}

NOT_SCHEDULED = "not_scheduled"
# Roles a delegation may bring to a round or meeting (a witness is a key, not a person).
ATTENDING = tuple(r.value for r in Role if r is not Role.WITNESS)

ROUND_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
MEETING_RE = re.compile(r"^[a-z0-9][a-z0-9-]{7,31}$")
ITEM_RE = MEETING_RE
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LOCAL_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
MAX_TITLE_CHARS = 200
MAX_AGENDA = 40
MAX_ROUND_DAYS = 92  # a round is days of talks, not a season


def round_subject(rid: str) -> str:
    return f"dr/{rid}"


def meeting_subject(mid: str) -> str:
    return f"dm/{mid}"


def check_round_id(value: Any) -> str:
    if not isinstance(value, str) or not ROUND_RE.match(value):
        raise Invalid(N_("a round id is 2-64 of a-z, 0-9, _ and -"))
    return value


def check_meeting_id(value: Any) -> str:
    if not isinstance(value, str) or not MEETING_RE.match(value):
        raise Invalid(N_("a meeting id is 8-32 of a-z, 0-9 and -"))
    return value


def check_item_id(value: Any) -> str:
    if not isinstance(value, str) or not ITEM_RE.match(value):
        raise Invalid(N_("a follow-up item id is 8-32 of a-z, 0-9 and -"))
    return value


def check_date(value: Any, what: str) -> str:
    """A calendar date written YYYY-MM-DD (and a real one: no 31 February)."""
    if isinstance(value, str) and DATE_RE.match(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise Invalid(N_("%(what)s must be a date written YYYY-MM-DD"), what=what)


def check_zone(value: Any) -> str:
    if isinstance(value, str) and 0 < len(value) <= 64 and ".." not in value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return value
    raise Invalid(N_("tz must be an IANA time zone such as Europe/Paris"))


def local_time(value: Any, tz: str, what: str) -> datetime:
    """A local time YYYY-MM-DDTHH:MM in `tz`, as an aware datetime; a time the clocks skip
    (the hour lost when summer time begins) is refused rather than guessed."""
    if not isinstance(value, str) or not LOCAL_RE.match(value):
        raise Invalid(N_("%(what)s must be a local time written YYYY-MM-DDTHH:MM"), what=what)
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            N_("%(what)s must be a local time written YYYY-MM-DDTHH:MM"), what=what
        ) from None
    zone = ZoneInfo(tz)
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise Invalid(
            N_("%(what)s does not exist in %(tz)s (the clocks skip it)"), what=what, tz=tz
        )
    return aware


@dataclass(frozen=True, slots=True)
class Delegation:
    party: str
    roles: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"party": self.party, "roles": list(self.roles)}


@dataclass(frozen=True, slots=True)
class RoundContent:
    place: tuple[tuple[str, str], ...]  # (text, lang), the original first
    start: str
    end: str
    delegations: tuple[Delegation, ...]
    note: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class RoundRecorded:
    round: str
    content: RoundContent
    follows: str | None


@dataclass(frozen=True, slots=True)
class RoundRevised:
    round: str
    content: RoundContent


@dataclass(frozen=True, slots=True)
class RoundNext:
    round: str
    next: str  # a date or NOT_SCHEDULED


@dataclass(frozen=True, slots=True)
class Meeting:
    round: str
    meeting: str
    title: tuple[tuple[str, str], ...]
    place: tuple[tuple[str, str], ...]
    start: str
    end: str
    tz: str
    start_utc: datetime
    end_utc: datetime
    delegations: tuple[Delegation, ...]
    agenda: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Said:
    """Minutes, an outcome: a text about a meeting."""

    meeting: str
    text: str
    lang: str


@dataclass(frozen=True, slots=True)
class FollowUp:
    meeting: str
    item: str
    text: str
    lang: str
    party: str
    due: str | None


@dataclass(frozen=True, slots=True)
class Closed:
    meeting: str
    item: str
    text: str
    lang: str


def texts_json(texts: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"text": t, "lang": lang} for t, lang in texts]


def _texts(
    value: Any, charter: Charter, what: str, max_chars: int | None = None
) -> tuple[tuple[str, str], ...]:
    """[{text, lang}, ...]: one text per language at most, the original first."""
    if not isinstance(value, list) or not 1 <= len(value) <= len(charter.languages):
        raise Invalid(
            N_("%(what)s is a list of 1-%(n)s texts, each {text, lang}"),
            what=what,
            n=len(charter.languages),
        )
    out: list[tuple[str, str]] = []
    for t in value:
        if not isinstance(t, dict) or set(t) != {"text", "lang"}:
            raise Invalid(N_("%(what)s is a list of texts, each {text, lang}"), what=what)
        out.append(check_text(t["text"], t["lang"], charter, max_chars=max_chars, what=what))
    if len({lang for _, lang in out}) != len(out):
        raise Invalid(N_("%(what)s has two texts in one language"), what=what)
    return tuple(out)


def _delegations(value: Any, charter: Charter) -> tuple[Delegation, ...]:
    if not isinstance(value, list) or len(value) < 2:
        raise Invalid(N_("delegations is a list of at least two {party, roles}"))
    out: list[Delegation] = []
    for d in value:
        if not isinstance(d, dict) or set(d) != {"party", "roles"}:
            raise Invalid(N_("a delegation is {party, roles}"))
        party, roles = d["party"], d["roles"]
        if not isinstance(party, str) or party not in charter.codes:
            raise Invalid(N_("unknown party %(party)s"), party=str(party)[:8])
        if (
            not isinstance(roles, list)
            or not roles
            or not all(isinstance(r, str) for r in roles)
            or roles != sorted(set(roles))
        ):
            raise Invalid(N_("a delegation's roles are a sorted list of at least one role"))
        unknown = [r for r in roles if r not in ATTENDING]
        if unknown:
            raise Invalid(
                N_("unknown role %(role)s (known: %(roles)s)"),
                role=unknown[0][:32],
                roles=", ".join(ATTENDING),
            )
        out.append(Delegation(party, tuple(roles)))
    parties = [d.party for d in out]
    if parties != sorted(set(parties)):
        raise Invalid(N_("delegations are sorted by party, each party once"))
    return tuple(out)


def parties_of(
    delegations: tuple[Delegation, ...] | list[Delegation], charter: Charter
) -> list[str]:
    """Who reads a round or meeting: its delegations' parties and the supervisor always."""
    ps = {d.party for d in delegations}
    if charter.supervisor is not None:
        ps.add(charter.supervisor.code)
    return sorted(ps)


_ROUND = {"round", "place", "start", "end", "delegations"}


def _round_content(body: dict[str, Any], charter: Charter) -> RoundContent:
    place = _texts(body["place"], charter, "place", MAX_TITLE_CHARS)
    start = check_date(body["start"], "start")
    end = check_date(body["end"], "end")
    if end < start:
        raise Invalid(
            N_("the round ends (%(end)s) before it starts (%(start)s)"), end=end, start=start
        )
    if (date.fromisoformat(end) - date.fromisoformat(start)).days >= MAX_ROUND_DAYS:
        raise Invalid(N_("a round lasts less than %(n)s days"), n=MAX_ROUND_DAYS)
    note = _texts(body["note"], charter, "note") if "note" in body else ()
    return RoundContent(place, start, end, _delegations(body["delegations"], charter), note)


def _round_recorded(body: dict[str, Any], charter: Charter) -> RoundRecorded:
    check_fields(body, _ROUND, frozenset({"note", "follows"}))
    follows = check_round_id(body["follows"]) if "follows" in body else None
    return RoundRecorded(check_round_id(body["round"]), _round_content(body, charter), follows)


def _round_revised(body: dict[str, Any], charter: Charter) -> RoundRevised:
    check_fields(body, _ROUND, frozenset({"note"}))
    return RoundRevised(check_round_id(body["round"]), _round_content(body, charter))


def _round_next(body: dict[str, Any], charter: Charter) -> RoundNext:
    check_fields(body, {"round", "next"})
    nxt = body["next"]
    if nxt != NOT_SCHEDULED:
        if not isinstance(nxt, str) or not DATE_RE.match(nxt):
            raise Invalid(N_('next is a date written YYYY-MM-DD or "not_scheduled"'))
        check_date(nxt, "next")
    return RoundNext(check_round_id(body["round"]), nxt)


def _meeting(body: dict[str, Any], charter: Charter) -> Meeting:
    check_fields(
        body, {"round", "meeting", "title", "place", "start", "end", "tz", "delegations", "agenda"}
    )
    tz = check_zone(body["tz"])
    start = local_time(body["start"], tz, "start")
    end = local_time(body["end"], tz, "end")
    if end <= start:
        raise Invalid(
            N_("the meeting ends (%(end)s) before it starts (%(start)s)"),
            end=body["end"],
            start=body["start"],
        )
    agenda = body["agenda"]
    if not isinstance(agenda, list) or len(agenda) > MAX_AGENDA:
        raise Invalid(N_("agenda is a list of at most %(n)s items"), n=MAX_AGENDA)
    items: list[tuple[str, str]] = []
    for a in agenda:
        if not isinstance(a, dict) or set(a) != {"text", "lang"}:
            raise Invalid(N_("an agenda item is {text, lang}"))
        items.append(check_text(a["text"], a["lang"], charter, what="agenda item"))
    return Meeting(
        check_round_id(body["round"]),
        check_meeting_id(body["meeting"]),
        _texts(body["title"], charter, "title", MAX_TITLE_CHARS),
        _texts(body["place"], charter, "place", MAX_TITLE_CHARS),
        body["start"],
        body["end"],
        tz,
        start.astimezone(UTC),
        end.astimezone(UTC),
        _delegations(body["delegations"], charter),
        tuple(items),
    )


def _said(body: dict[str, Any], charter: Charter) -> Said:
    check_fields(body, {"meeting", "text", "lang"})
    text, lang = check_text(body["text"], body["lang"], charter)
    return Said(check_meeting_id(body["meeting"]), text, lang)


def _followup(body: dict[str, Any], charter: Charter) -> FollowUp:
    check_fields(body, {"meeting", "item", "text", "lang", "party"}, frozenset({"due"}))
    text, lang = check_text(body["text"], body["lang"], charter)
    party = body["party"]
    if not isinstance(party, str) or party not in charter.codes:
        raise Invalid(N_("unknown party %(party)s"), party=str(party)[:8])
    due = check_date(body["due"], "due") if "due" in body else None
    return FollowUp(
        check_meeting_id(body["meeting"]), check_item_id(body["item"]), text, lang, party, due
    )


def _closed(body: dict[str, Any], charter: Charter) -> Closed:
    check_fields(body, {"meeting", "item", "text", "lang"})
    text, lang = check_text(body["text"], body["lang"], charter, what="note")
    return Closed(check_meeting_id(body["meeting"]), check_item_id(body["item"]), text, lang)


_PARSERS: dict[str, Callable[[dict[str, Any], Charter], Any]] = {
    ROUND_RECORDED: _round_recorded,
    ROUND_REVISED: _round_revised,
    ROUND_NEXT: _round_next,
    MEETING: _meeting,
    MINUTES: _said,
    OUTCOME: _said,
    FOLLOWUP: _followup,
    CLOSED: _closed,
}


def parse_body(kind: str, body: dict[str, Any], charter: Charter) -> Any:
    """Check a diplomacy entry's body against its kind and the charter; return it typed."""
    parser = _PARSERS.get(kind)
    if parser is None:
        raise Invalid(N_("unknown diplomacy entry kind %(kind)s"), kind=kind)
    return parser(body, charter)
