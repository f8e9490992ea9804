"""Understandings: the entries and the shape of their bodies.

The understandings of the charter need no entry; later ones are recorded. Every entry is a
statement signed by a member's device key, subject `u/<understanding>`. The shared record
(everything but links) is visible to every party of the charter; a link is visible to
exactly the linked entry's readers.

    understanding.recorded             {understanding, kind, text, lang, parties, source,
                                        workstream?}
    understanding.status.changed       {understanding, status, reason, lang, evidence}
    understanding.timeline.set         {understanding, start, end, reason, lang}
    understanding.milestone.set        {understanding, milestone, title, lang, due, parties}
    understanding.milestone.moved      {understanding, milestone, due, reason, lang}
    understanding.milestone.met        {understanding, milestone, text, lang, evidence}
    understanding.verification.recorded {understanding, findings, lang, assessment, evidence}
    understanding.link.added           {understanding, entry, note?, lang?}

`evidence` is a list of log indices (the author must be able to read each); `start` and
`end` are dates (YYYY-MM-DD) or null; `due` an RFC 3339 time. Shapes are checked here;
what depends on the log's state is checked by the projector.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fusioncell.charter.schema import Charter
from fusioncell.duty.kinds import check_time
from fusioncell.errors import N_, Invalid
from fusioncell.messaging.kinds import check_fields, check_text

NAMESPACE = "understanding."
RECORDED = "understanding.recorded"
STATUS = "understanding.status.changed"
TIMELINE = "understanding.timeline.set"
MILESTONE_SET = "understanding.milestone.set"
MILESTONE_MOVED = "understanding.milestone.moved"
MILESTONE_MET = "understanding.milestone.met"
VERIFIED = "understanding.verification.recorded"
LINKED = "understanding.link.added"
KINDS = frozenset(
    {RECORDED, STATUS, TIMELINE, MILESTONE_SET, MILESTONE_MOVED, MILESTONE_MET, VERIFIED, LINKED}
)
# Labels for the pages' lists of entries (merged into fusioncell.web.labels.KIND_LABELS).
LABELS: dict[str, str] = {
    RECORDED: N_("Understanding recorded"),
    STATUS: N_("Understanding's status changed"),
    TIMELINE: N_("Understanding's timeline set"),
    MILESTONE_SET: N_("Milestone set"),
    MILESTONE_MOVED: N_("Milestone moved"),
    MILESTONE_MET: N_("Milestone met"),
    VERIFIED: N_("Verification report recorded"),
    LINKED: N_("Entry linked to an understanding"),
}

JOINT = "joint"
STATED = "stated"
ORIGINS = (JOINT, STATED)

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
MET = "met"
DISPUTED = "disputed"
BREACHED = "breached"
STATUSES = (NOT_STARTED, IN_PROGRESS, MET, DISPUTED, BREACHED)
STATUS_NAMES = {
    NOT_STARTED: N_("Not started"),
    IN_PROGRESS: N_("In progress"),
    MET: N_("Met"),
    DISPUTED: N_("Disputed"),
    BREACHED: N_("Breached"),
}
# Every change of status gives its reason and the entries that show it (the joint
# statement's "only by a signed entry giving the reason and the evidence").
NEEDS_EVIDENCE = frozenset(STATUS_NAMES)

ON_TRACK = "on_track"
CONCERNS = "concerns"
CANNOT_VERIFY = "cannot_verify"
ASSESSMENTS = (ON_TRACK, CONCERNS, CANNOT_VERIFY)
ASSESSMENT_NAMES = {
    ON_TRACK: N_("On track"),
    CONCERNS: N_("Concerns"),
    CANNOT_VERIFY: N_("Cannot verify"),
}

# A milestone's state: open until met, or breached by the deadline engine.
OPEN = "open"
BREACHED_MS = "breached"
MILESTONE_STATES = (OPEN, MET, BREACHED_MS)
MILESTONE_STATE_NAMES = {OPEN: N_("Open"), MET: N_("Met"), BREACHED_MS: N_("Missed")}

UNDERSTANDING_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MILESTONE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{7,31}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_TITLE_CHARS = 200
MAX_SOURCE_CHARS = 300
MAX_EVIDENCE = 20
MAX_INDEX = 2**62


def subject(understanding: str) -> str:
    return f"u/{understanding}"


def understanding_of_subject(subj: str) -> str | None:
    return subj[2:] if subj.startswith("u/") else None


def check_understanding_id(value: Any) -> str:
    if not isinstance(value, str) or not UNDERSTANDING_RE.match(value):
        raise Invalid(N_("an understanding id is 1-64 of a-z, 0-9, _ and -"))
    return value


def check_milestone_id(value: Any) -> str:
    if not isinstance(value, str) or not MILESTONE_RE.match(value):
        raise Invalid(N_("a milestone id is 8-32 of a-z, 0-9 and -"))
    return value


def check_date(value: Any, what: str) -> str | None:
    """A calendar date (YYYY-MM-DD) or None."""
    if value is None:
        return None
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise Invalid(N_("%(what)s must be a date YYYY-MM-DD or null"), what=what)
    try:
        date.fromisoformat(value)
    except ValueError:
        raise Invalid(N_("%(what)s is not a valid date"), what=what) from None
    return value


def check_evidence(value: Any) -> tuple[int, ...]:
    """Log indices, each once, at most MAX_EVIDENCE."""
    if (
        not isinstance(value, list)
        or len(value) > MAX_EVIDENCE
        or not all(type(i) is int and 0 <= i < MAX_INDEX for i in value)
    ):
        raise Invalid(
            N_("evidence is a list of at most %(n)s log indices (whole numbers)"), n=MAX_EVIDENCE
        )
    if len(set(value)) != len(value):
        raise Invalid(N_("evidence names an entry twice"))
    return tuple(value)


def check_parties(value: Any, charter: Charter, what: str = "parties") -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(p, str) for p in value)
        or value != sorted(set(value))
    ):
        raise Invalid(N_("%(what)s is a sorted list of party codes"), what=what)
    unknown = [p for p in value if p not in charter.codes]
    if unknown:
        raise Invalid(N_("unknown party %(party)s"), party=unknown[0][:8])
    return tuple(value)


def due_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class Recorded:
    understanding: str
    origin: str
    text: str
    lang: str
    parties: tuple[str, ...]
    source: str
    workstream: str | None


@dataclass(frozen=True, slots=True)
class Status:
    understanding: str
    status: str
    reason: str
    lang: str
    evidence: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Timeline:
    understanding: str
    start: str | None
    end: str | None
    reason: str
    lang: str


@dataclass(frozen=True, slots=True)
class MilestoneSet:
    understanding: str
    milestone: str
    title: str
    lang: str
    due: str
    parties: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MilestoneMoved:
    understanding: str
    milestone: str
    due: str
    reason: str
    lang: str


@dataclass(frozen=True, slots=True)
class MilestoneMet:
    understanding: str
    milestone: str
    text: str
    lang: str
    evidence: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Verified:
    understanding: str
    findings: str
    lang: str
    assessment: str
    evidence: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Linked:
    understanding: str
    entry: int
    note: str | None
    lang: str | None


def _recorded(body: dict[str, Any], charter: Charter) -> Recorded:
    check_fields(
        body,
        {"understanding", "kind", "text", "lang", "parties", "source"},
        frozenset({"workstream"}),
    )
    origin = body["kind"]
    if not isinstance(origin, str) or origin not in ORIGINS:
        raise Invalid(N_("kind must be one of %(kinds)s"), kinds=", ".join(ORIGINS))
    text, lang = check_text(body["text"], body["lang"], charter)
    source, _ = check_text(body["source"], lang, charter, max_chars=MAX_SOURCE_CHARS, what="source")
    ws = body.get("workstream")
    if ws is not None and (
        not isinstance(ws, str) or ws not in {w.id for w in charter.workstreams}
    ):
        raise Invalid(N_("unknown workstream %(ws)s"), ws=str(ws)[:40])
    return Recorded(
        check_understanding_id(body["understanding"]),
        origin,
        text,
        lang,
        check_parties(body["parties"], charter),
        source,
        ws,
    )


def _status(body: dict[str, Any], charter: Charter) -> Status:
    check_fields(body, {"understanding", "status", "reason", "lang", "evidence"})
    status = body["status"]
    if not isinstance(status, str) or status not in STATUSES:
        raise Invalid(N_("status must be one of %(statuses)s"), statuses=", ".join(STATUSES))
    reason, lang = check_text(body["reason"], body["lang"], charter, what="reason")
    evidence = check_evidence(body["evidence"])
    if status in NEEDS_EVIDENCE and not evidence:
        raise Invalid(
            N_("a status of %(status)s needs evidence: the log indices of what shows it"),
            status=status.replace("_", " "),
        )
    return Status(check_understanding_id(body["understanding"]), status, reason, lang, evidence)


def _timeline(body: dict[str, Any], charter: Charter) -> Timeline:
    check_fields(body, {"understanding", "start", "end", "reason", "lang"})
    start = check_date(body["start"], "start")
    end = check_date(body["end"], "end")
    if start is not None and end is not None and end < start:
        raise Invalid(N_("the end comes before the start"))
    reason, lang = check_text(body["reason"], body["lang"], charter, what="reason")
    return Timeline(check_understanding_id(body["understanding"]), start, end, reason, lang)


def _milestone_set(body: dict[str, Any], charter: Charter) -> MilestoneSet:
    check_fields(body, {"understanding", "milestone", "title", "lang", "due", "parties"})
    title, lang = check_text(
        body["title"], body["lang"], charter, max_chars=MAX_TITLE_CHARS, what="title"
    )
    return MilestoneSet(
        check_understanding_id(body["understanding"]),
        check_milestone_id(body["milestone"]),
        title,
        lang,
        check_time(body["due"], "due"),
        check_parties(body["parties"], charter, "responsible parties"),
    )


def _milestone_moved(body: dict[str, Any], charter: Charter) -> MilestoneMoved:
    check_fields(body, {"understanding", "milestone", "due", "reason", "lang"})
    reason, lang = check_text(body["reason"], body["lang"], charter, what="reason")
    return MilestoneMoved(
        check_understanding_id(body["understanding"]),
        check_milestone_id(body["milestone"]),
        check_time(body["due"], "due"),
        reason,
        lang,
    )


def _milestone_met(body: dict[str, Any], charter: Charter) -> MilestoneMet:
    check_fields(body, {"understanding", "milestone", "text", "lang", "evidence"})
    text, lang = check_text(body["text"], body["lang"], charter)
    evidence = check_evidence(body["evidence"])
    if not evidence:
        raise Invalid(N_("a milestone is met with evidence: the log indices of what shows it"))
    return MilestoneMet(
        check_understanding_id(body["understanding"]),
        check_milestone_id(body["milestone"]),
        text,
        lang,
        evidence,
    )


def _verified(body: dict[str, Any], charter: Charter) -> Verified:
    check_fields(body, {"understanding", "findings", "lang", "assessment", "evidence"})
    assessment = body["assessment"]
    if not isinstance(assessment, str) or assessment not in ASSESSMENTS:
        raise Invalid(
            N_("assessment must be one of %(assessments)s"), assessments=", ".join(ASSESSMENTS)
        )
    findings, lang = check_text(body["findings"], body["lang"], charter, what="findings")
    evidence = check_evidence(body["evidence"])
    # What cannot be verified may have nothing to show; any other finding shows its basis.
    if assessment != CANNOT_VERIFY and not evidence:
        raise Invalid(N_("a verification report cites its evidence (log indices)"))
    return Verified(
        check_understanding_id(body["understanding"]), findings, lang, assessment, evidence
    )


def _linked(body: dict[str, Any], charter: Charter) -> Linked:
    check_fields(body, {"understanding", "entry"}, frozenset({"note", "lang"}))
    entry = body["entry"]
    if type(entry) is not int or not 0 <= entry < MAX_INDEX:
        raise Invalid(N_("entry is a log index (a whole number)"))
    note: str | None = None
    lang: str | None = None
    if "note" in body or "lang" in body:
        note, lang = check_text(body.get("note"), body.get("lang"), charter, what="note")
    return Linked(check_understanding_id(body["understanding"]), entry, note, lang)


_PARSERS: dict[str, Callable[[dict[str, Any], Charter], Any]] = {
    RECORDED: _recorded,
    STATUS: _status,
    TIMELINE: _timeline,
    MILESTONE_SET: _milestone_set,
    MILESTONE_MOVED: _milestone_moved,
    MILESTONE_MET: _milestone_met,
    VERIFIED: _verified,
    LINKED: _linked,
}


def parse_body(kind: str, body: dict[str, Any], charter: Charter) -> Any:
    """Check an understanding entry's body against its kind and the charter; return it
    typed."""
    parser = _PARSERS.get(kind)
    if parser is None:
        raise Invalid(N_("unknown understanding entry kind %(kind)s"), kind=kind)
    return parser(body, charter)
