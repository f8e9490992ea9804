"""Intelligence sharing's entries: their kinds and the shape of their bodies.

Reports have subject `intel/<report>`; requests for information `rfi/<rfi>`. The log's
visibility IS the releasability: a report's entries are visible to exactly the parties it
is released to, so a party outside them cannot read it in the log or anywhere else.

    intel.report.issued     {report, title, summary, body, lang, window: {start, end},
                             grading: {source, info}, releasability, places?, attachments?}
    intel.report.corrected  {report, title, summary, body, lang, window, grading,
                             places?, attachments?}                       a new version
    intel.summary.released  {report, title, text, lang, withheld: true}    the tear line
    intel.release.widened   {report, releasability, version, content}   originator only;
                            content is the current version's text exactly as issued or
                            corrected (title ... attachments, without report), so a party
                            released to later can verify in the log what it was given
    intel.report.assessed   {report, assessment, grading, text, lang}     another party
    intel.rfi.requested     {rfi, to, text, lang, urgency?, due?}
    intel.rfi.answered      {rfi, report}

grading is the Admiralty code: source reliability A-F and information credibility 1-6,
graded independently. places are GeoJSON Points and Polygons (lon, lat in WGS 84).
Shapes are checked here; what depends on the log's state by the projector.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely.geometry
from shapely.errors import GEOSException

from fusioncell.charter.schema import Charter
from fusioncell.clock import parse_rfc3339, rfc3339
from fusioncell.errors import N_, Invalid
from fusioncell.messaging.kinds import (
    Attachment,
    _attachments,
    check_fields,
    check_text,
)

ISSUED = "intel.report.issued"
CORRECTED = "intel.report.corrected"
SUMMARY = "intel.summary.released"
WIDENED = "intel.release.widened"
ASSESSED = "intel.report.assessed"
RFI_REQUESTED = "intel.rfi.requested"
RFI_ANSWERED = "intel.rfi.answered"
REPORT_KINDS = frozenset({ISSUED, CORRECTED, SUMMARY, WIDENED, ASSESSED})
RFI_KINDS = frozenset({RFI_REQUESTED, RFI_ANSWERED})
KINDS = REPORT_KINDS | RFI_KINDS

RFI_DEADLINE = "intel.rfi"  # the deadline engine's kind for an unanswered request

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{7,31}$")
SOURCES = "ABCDEF"  # A: completely reliable ... E: unreliable, F: cannot be judged
CREDIBILITY = range(1, 7)  # 1: confirmed ... 5: improbable, 6: cannot be judged
ASSESSMENTS = ("corroborated", "disputed", "outdated")
MAX_TITLE_CHARS = 200
MAX_SUMMARY_CHARS = 2000
MAX_PLACES = 20
MAX_VERTICES = 500

_CONTENT = {"report", "title", "summary", "body", "lang", "window", "grading"}
_CONTENT_OPTIONAL = frozenset({"places", "attachments"})


def report_subject(report: str) -> str:
    return f"intel/{report}"


def rfi_subject(rfi: str) -> str:
    return f"rfi/{rfi}"


def check_id(value: Any, what: str = "report") -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise Invalid(N_("a %(what)s id is 8-32 of a-z, 0-9 and -"), what=what)
    return value


@dataclass(frozen=True, slots=True)
class Grading:
    source: str
    info: int

    @property
    def code(self) -> str:
        return f"{self.source}{self.info}"

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "info": self.info}


def check_grading(value: Any) -> Grading:
    """The Admiralty code: reliability of the source and credibility of the information,
    each graded on its own scale."""
    if not isinstance(value, dict) or set(value) != {"source", "info"}:
        raise Invalid(N_("grading is {source, info}"))
    source, info = value["source"], value["info"]
    if not isinstance(source, str) or len(source) != 1 or source not in SOURCES:
        raise Invalid(N_("a source's reliability is graded A to F"))
    if type(info) is not int or info not in CREDIBILITY:
        raise Invalid(N_("an information's credibility is graded 1 to 6"))
    return Grading(source, info)


def check_time(value: Any, what: str) -> datetime:
    try:
        return parse_rfc3339(value)
    except (ValueError, TypeError):
        raise Invalid(N_("%(what)s must be an RFC 3339 UTC time ending in Z"), what=what) from None


def check_window(value: Any) -> tuple[str, str]:
    if not isinstance(value, dict) or set(value) != {"start", "end"}:
        raise Invalid(N_("window is {start, end}"))
    start = check_time(value["start"], "window.start")
    end = check_time(value["end"], "window.end")
    if end < start:
        raise Invalid(N_("the time window ends before it starts"))
    return rfc3339(start), rfc3339(end)


def _position(p: Any) -> tuple[float, float]:
    if (
        not isinstance(p, list)
        or len(p) != 2
        or not all(type(c) in (int, float) and math.isfinite(c) for c in p)
    ):
        raise Invalid(N_("a position is [longitude, latitude]"))
    lon, lat = float(p[0]), float(p[1])
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        raise Invalid(N_("coordinates out of range: longitude is -180 to 180, latitude -90 to 90"))
    return lon, lat


def check_place(value: Any) -> dict[str, Any]:
    """A GeoJSON Point or Polygon, valid as a geometry (closed, not self-intersecting)."""
    if not isinstance(value, dict) or set(value) != {"type", "coordinates"}:
        raise Invalid(N_("a place is a GeoJSON geometry {type, coordinates}"))
    kind, coords = value["type"], value["coordinates"]
    # Kept as floats: the log's canonical JSON writes 33.0 as 33, so a projection rebuilt
    # from it would otherwise differ from the live one.
    norm: Any
    if kind == "Point":
        norm = list(_position(coords))
    elif kind == "Polygon":
        if not isinstance(coords, list) or not coords or len(coords) > 10:
            raise Invalid(N_("a Polygon is a list of 1 to 10 linear rings"))
        for ring in coords:
            if not isinstance(ring, list) or not 4 <= len(ring) <= MAX_VERTICES:
                raise Invalid(N_("a Polygon's ring has 4 to %(n)s positions"), n=MAX_VERTICES)
            pts = [_position(p) for p in ring]
            if pts[0] != pts[-1]:
                raise Invalid(N_("a Polygon's ring must end where it starts"))
        norm = [[list(p) for p in (_position(q) for q in ring)] for ring in coords]
    else:
        raise Invalid(N_("a place is a GeoJSON Point or Polygon"))
    try:
        geom = shapely.geometry.shape(value)
    except (GEOSException, ValueError, TypeError):
        raise Invalid(N_("this place is not a valid geometry")) from None
    if geom.is_empty or not geom.is_valid:
        raise Invalid(N_("this place is not a valid geometry (a ring crosses itself?)"))
    return {"type": kind, "coordinates": norm}


def check_releasability(value: Any, charter: Charter) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(p, str) for p in value)
        or value != sorted(set(value))
    ):
        raise Invalid(N_("releasability is a sorted list of party codes"))
    unknown = [p for p in value if p not in charter.codes]
    if unknown:
        raise Invalid(N_("releasability names an unknown party %(party)s"), party=unknown[0][:8])
    sup = charter.supervisor
    if charter.cell.supervisor_in_every_thread and sup is not None and sup.code not in value:
        raise Invalid(
            N_("the charter releases everything to the supervisor %(party)s"), party=sup.code
        )
    return tuple(value)


@dataclass(frozen=True, slots=True)
class Content:
    """A report's text as issued or corrected: one version."""

    report: str
    title: str
    summary: str
    body: str
    lang: str
    window: tuple[str, str]
    grading: Grading
    places: tuple[dict[str, Any], ...]
    attachments: tuple[Attachment, ...]
    releasability: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Summary:
    report: str
    title: str
    text: str
    lang: str


@dataclass(frozen=True, slots=True)
class Widened:
    report: str
    releasability: tuple[str, ...]
    version: int
    content: Content


@dataclass(frozen=True, slots=True)
class Assessed:
    report: str
    assessment: str
    grading: Grading
    text: str
    lang: str


@dataclass(frozen=True, slots=True)
class RfiRequested:
    rfi: str
    to: str
    text: str
    lang: str
    urgency: str
    due: datetime | None


@dataclass(frozen=True, slots=True)
class RfiAnswered:
    rfi: str
    report: str


def _content(body: dict[str, Any], charter: Charter, required: set[str]) -> Content:
    check_fields(body, required, _CONTENT_OPTIONAL)
    lang = body["lang"]
    title, lang = check_text(body["title"], lang, charter, max_chars=MAX_TITLE_CHARS, what="title")
    summary, _ = check_text(
        body["summary"], lang, charter, max_chars=MAX_SUMMARY_CHARS, what="summary"
    )
    text, _ = check_text(body["body"], lang, charter, what="body")
    places = body.get("places", [])
    if not isinstance(places, list) or len(places) > MAX_PLACES:
        raise Invalid(N_("places is a list of at most %(n)s GeoJSON geometries"), n=MAX_PLACES)
    return Content(
        report=check_id(body["report"]),
        title=title,
        summary=summary,
        body=text,
        lang=lang,
        window=check_window(body["window"]),
        grading=check_grading(body["grading"]),
        places=tuple(check_place(p) for p in places),
        attachments=tuple(_attachments(body.get("attachments", []))),
        releasability=(
            check_releasability(body["releasability"], charter) if "releasability" in body else ()
        ),
    )


def _issued(body: dict[str, Any], charter: Charter) -> Content:
    return _content(body, charter, _CONTENT | {"releasability"})


def _corrected(body: dict[str, Any], charter: Charter) -> Content:
    return _content(body, charter, _CONTENT)


def _summary(body: dict[str, Any], charter: Charter) -> Summary:
    check_fields(body, {"report", "title", "text", "lang", "withheld"})
    if body["withheld"] is not True:
        raise Invalid(N_("a tear-line summary says withheld: true"))
    title, lang = check_text(
        body["title"], body["lang"], charter, max_chars=MAX_TITLE_CHARS, what="title"
    )
    text, _ = check_text(body["text"], lang, charter, max_chars=MAX_SUMMARY_CHARS, what="text")
    return Summary(check_id(body["report"]), title, text, lang)


def _widened(body: dict[str, Any], charter: Charter) -> Widened:
    check_fields(body, {"report", "releasability", "version", "content"})
    report = check_id(body["report"])
    version, content = body["version"], body["content"]
    if type(version) is not int or version < 1:
        raise Invalid(N_("version is the number of the report's current version"))
    if not isinstance(content, dict) or "report" in content:
        raise Invalid(N_("content is the current version's text, as issued or corrected"))
    return Widened(
        report,
        check_releasability(body["releasability"], charter),
        version,
        _content({**content, "report": report}, charter, _CONTENT),
    )


def _assessed(body: dict[str, Any], charter: Charter) -> Assessed:
    check_fields(body, {"report", "assessment", "grading", "text", "lang"})
    a = body["assessment"]
    if not isinstance(a, str) or a not in ASSESSMENTS:
        raise Invalid(N_("assessment is one of %(values)s"), values=", ".join(ASSESSMENTS))
    text, lang = check_text(body["text"], body["lang"], charter)
    return Assessed(check_id(body["report"]), a, check_grading(body["grading"]), text, lang)


def _rfi_requested(body: dict[str, Any], charter: Charter) -> RfiRequested:
    check_fields(body, {"rfi", "to", "text", "lang"}, frozenset({"urgency", "due"}))
    to = body["to"]
    if not isinstance(to, str) or to not in charter.codes:
        raise Invalid(N_("unknown party %(party)s"), party=str(to)[:8])
    text, lang = check_text(body["text"], body["lang"], charter, what="question")
    urgency = body.get("urgency", "PRIORITY")
    levels = [u.level.value for u in charter.urgency_levels]
    if not isinstance(urgency, str) or urgency not in levels:
        raise Invalid(N_("urgency must be one of %(levels)s"), levels=", ".join(levels))
    due = check_time(body["due"], "due") if "due" in body else None
    return RfiRequested(check_id(body["rfi"], "request"), to, text, lang, urgency, due)


def _rfi_answered(body: dict[str, Any], charter: Charter) -> RfiAnswered:
    check_fields(body, {"rfi", "report"})
    return RfiAnswered(check_id(body["rfi"], "request"), check_id(body["report"]))


_PARSERS: dict[str, Callable[[dict[str, Any], Charter], Any]] = {
    ISSUED: _issued,
    CORRECTED: _corrected,
    SUMMARY: _summary,
    WIDENED: _widened,
    ASSESSED: _assessed,
    RFI_REQUESTED: _rfi_requested,
    RFI_ANSWERED: _rfi_answered,
}


def parse_body(kind: str, body: dict[str, Any], charter: Charter) -> Any:
    """Check an intelligence entry's body against its kind and the charter; return it typed."""
    parser = _PARSERS.get(kind)
    if parser is None:
        raise Invalid(N_("unknown intelligence entry kind %(kind)s"), kind=kind)
    return parser(body, charter)


# What the log's pages call each kind (fusioncell.web.labels).
LABELS: dict[str, str] = {
    ISSUED: N_("Intelligence report issued"),
    CORRECTED: N_("Intelligence report corrected"),
    SUMMARY: N_("Tear-line summary released"),
    WIDENED: N_("Report's release widened"),
    ASSESSED: N_("Intelligence report assessed"),
    RFI_REQUESTED: N_("Request for information"),
    RFI_ANSWERED: N_("Request for information answered"),
}
