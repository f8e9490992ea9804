"""Military de-escalation's entries: their kinds and the shape of their bodies.

Incidents, notifications and clarifications are statements signed by a member's device
key and visible to every party of the cell (de-escalation is everyone's business). Zones
are the operator's: system entries signed by the log key (`fusioncell zones load`), or a
party's own proposal.

    zone.loaded                     {zone, name, lang, status, party?, geometry}
    deesc.incident.reported         {time, time_precision, place, place_precision_m,
                                     category, actors, casualties?, description, lang,
                                     sources}
    deesc.activity.notified         {activity_type, start, end, place, description, lang}
    deesc.clarification.requested   {about, question, lang}
    deesc.clarification.answered    {request, answer, lang}

Places are GeoJSON geometries in WGS 84 (lon, lat): checked here for ranges and validity
(shapely), before anything is written. What depends on the log's state (what `about`
names, zones, other parties' notifications) is checked by the projector.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from fusioncell.charter.schema import Charter
from fusioncell.duty.kinds import check_time, parse_time
from fusioncell.errors import N_, Invalid
from fusioncell.messaging.kinds import check_fields, check_text

ZONE = "zone.loaded"
INCIDENT = "deesc.incident.reported"
ACTIVITY = "deesc.activity.notified"
REQUESTED = "deesc.clarification.requested"
ANSWERED = "deesc.clarification.answered"
KINDS = frozenset({ZONE, INCIDENT, ACTIVITY, REQUESTED, ANSWERED})
LABELS: dict[str, str] = {
    ZONE: N_("Zone loaded"),
    INCIDENT: N_("Incident reported"),
    ACTIVITY: N_("Planned activity notified"),
    REQUESTED: N_("Clarification requested"),
    ANSWERED: N_("Clarification answered"),
}
# Each kind's subject: one stream per kind (zones: one per zone).
SUBJECTS = {
    INCIDENT: "deesc/incidents",
    ACTIVITY: "deesc/activities",
    REQUESTED: "deesc/clarifications",
    ANSWERED: "deesc/clarifications",
}

AGREED = "agreed"
PROPOSED = "proposed"
ILLUSTRATIVE = "illustrative"
STATUSES = (AGREED, PROPOSED, ILLUSTRATIVE)
TIME_PRECISIONS = ("minute", "hour", "day")

ZONE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
GEOMETRY_TYPES = frozenset({"Point", "LineString", "Polygon", "MultiLineString", "MultiPolygon"})
PLACE_TYPES = frozenset({"Point", "Polygon", "MultiPolygon", "LineString"})
MAX_VERTICES = 5000
MAX_NAME_CHARS = 200
MAX_TEXT_CHARS = 4000
MAX_ITEMS = 20  # actors, sources
MAX_ITEM_CHARS = 300
MAX_PRECISION_M = 200_000
MAX_CASUALTIES = 100_000


def zone_subject(zone: str) -> str:
    return f"deesc/zones/{zone}"


# ---- GeoJSON ------------------------------------------------------------------------------


def _position(p: Any, where: str) -> list[float]:
    if not isinstance(p, list) or len(p) not in (2, 3):
        raise Invalid(N_("%(where)s: a position is [longitude, latitude]"), where=where)
    for v in p:
        if type(v) not in (int, float) or not math.isfinite(v):
            raise Invalid(N_("%(where)s: coordinates must be numbers"), where=where)
    lon, lat = float(p[0]), float(p[1])
    if not -180 <= lon <= 180:
        raise Invalid(
            N_("%(where)s: longitude %(value)s is out of range (-180 to 180)"),
            where=where,
            value=p[0],
        )
    if not -90 <= lat <= 90:
        raise Invalid(
            N_("%(where)s: latitude %(value)s is out of range (-90 to 90)"),
            where=where,
            value=p[1],
        )
    return [lon, lat]


def _positions(value: Any, depth: int, where: str, count: list[int]) -> Any:
    """Nested lists of positions, `depth` levels deep (0: one position)."""
    if depth == 0:
        count[0] += 1
        if count[0] > MAX_VERTICES:
            raise Invalid(N_("%(where)s has more than %(n)s points"), where=where, n=MAX_VERTICES)
        return _position(value, where)
    if not isinstance(value, list) or not value:
        raise Invalid(N_("%(where)s: coordinates are not nested as its type says"), where=where)
    return [_positions(v, depth - 1, where, count) for v in value]


_DEPTH = {"Point": 0, "LineString": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}


def check_geometry(
    value: Any, what: str = "place", types: frozenset[str] = GEOMETRY_TYPES
) -> dict[str, Any]:
    """A GeoJSON geometry in range and valid (no self-intersecting polygon) -> its normal form."""
    if not isinstance(value, dict) or set(value) != {"type", "coordinates"}:
        raise Invalid(N_("%(what)s must be a GeoJSON geometry {type, coordinates}"), what=what)
    kind = value["type"]
    if kind not in types:
        raise Invalid(
            N_("%(what)s must be one of %(types)s"), what=what, types=", ".join(sorted(types))
        )
    coords = _positions(value["coordinates"], _DEPTH[kind], what, [0])
    geo = {"type": kind, "coordinates": coords}
    try:
        g = shape(geo)
    except (ValueError, TypeError, shapely.errors.ShapelyError) as exc:
        raise Invalid(
            N_("%(what)s is not a valid %(type)s: %(why)s"),
            what=what,
            type=kind,
            why=str(exc)[:200],
        ) from None
    if not g.is_valid:
        raise Invalid(
            N_("%(what)s is not a valid shape: %(why)s"), what=what, why=explain_validity(g)
        )
    return geo


def geometry(geo: dict[str, Any]) -> BaseGeometry:
    """A checked geometry as a shapely shape."""
    return shape(geo)


# ---- bodies ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Zone:
    zone: str
    name: str
    lang: str
    status: str
    party: str | None
    geometry: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Incident:
    time: str
    time_precision: str
    place: dict[str, Any]
    place_precision_m: int
    category: str
    actors: tuple[str, ...]
    casualties: dict[str, int] | None
    description: str
    lang: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Activity:
    activity_type: str
    start: str
    end: str
    place: dict[str, Any]
    description: str
    lang: str


@dataclass(frozen=True, slots=True)
class Request:
    about: int
    question: str
    lang: str


@dataclass(frozen=True, slots=True)
class Answer:
    request: int
    answer: str
    lang: str


def _index(value: Any, what: str) -> int:
    if type(value) is not int or value < 1:
        raise Invalid(N_("%(what)s must be the log index of an entry"), what=what)
    return value


def _choice(value: Any, choices: list[str], what: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise Invalid(
            N_("%(what)s must be one of %(choices)s"), what=what, choices=", ".join(choices)
        )
    return value


def _texts(value: Any, lang: str, charter: Charter, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise Invalid(N_("%(what)s is a list of at most %(n)s texts"), what=what, n=MAX_ITEMS)
    return tuple(
        check_text(v, lang, charter, max_chars=MAX_ITEM_CHARS, what=what)[0] for v in value
    )


def _zone(body: dict[str, Any], charter: Charter) -> Zone:
    check_fields(body, {"zone", "name", "lang", "status", "geometry"}, frozenset({"party"}))
    zone = body["zone"]
    if not isinstance(zone, str) or not ZONE_RE.match(zone):
        raise Invalid(N_("a zone id is 1-64 of a-z, 0-9, _ and -"))
    name, lang = check_text(
        body["name"], body["lang"], charter, max_chars=MAX_NAME_CHARS, what="name"
    )
    status = _choice(body["status"], list(STATUSES), "status")
    party = body.get("party")
    if party is not None and party not in charter.codes:
        raise Invalid(N_("unknown party %(party)s"), party=str(party)[:8])
    if status == PROPOSED and party is None:
        raise Invalid(N_("a proposed zone names the party that proposes it"))
    return Zone(zone, name, lang, status, party, check_geometry(body["geometry"], "geometry"))


def _incident(body: dict[str, Any], charter: Charter) -> Incident:
    check_fields(
        body,
        {
            "time",
            "time_precision",
            "place",
            "place_precision_m",
            "category",
            "actors",
            "description",
            "lang",
            "sources",
        },
        frozenset({"casualties"}),
    )
    cats = [c.id for c in charter.deescalation.categories]
    description, lang = check_text(
        body["description"], body["lang"], charter, max_chars=MAX_TEXT_CHARS, what="description"
    )
    prec = body["place_precision_m"]
    if type(prec) is not int or not 1 <= prec <= MAX_PRECISION_M:
        raise Invalid(
            N_("place_precision_m is a whole number of metres, 1 to %(n)s"), n=MAX_PRECISION_M
        )
    cas = body.get("casualties")
    casualties = None
    if cas is not None:
        if (
            not isinstance(cas, dict)
            or not set(cas) <= {"killed", "injured"}
            or not all(type(v) is int and 0 <= v <= MAX_CASUALTIES for v in cas.values())
        ):
            raise Invalid(N_("casualties is {killed?, injured?}, whole numbers from 0"))
        casualties = dict(cas)
    return Incident(
        time=check_time(body["time"], "time"),
        time_precision=_choice(body["time_precision"], list(TIME_PRECISIONS), "time_precision"),
        place=check_geometry(body["place"], "place", PLACE_TYPES),
        place_precision_m=prec,
        category=_choice(body["category"], cats, "category"),
        actors=_texts(body["actors"], lang, charter, "actors"),
        casualties=casualties,
        description=description,
        lang=lang,
        sources=_texts(body["sources"], lang, charter, "sources"),
    )


MAX_ACTIVITY_DAYS = 31


def _activity(body: dict[str, Any], charter: Charter) -> Activity:
    check_fields(body, {"activity_type", "start", "end", "place", "description", "lang"})
    types = [t.id for t in charter.deescalation.activity_types]
    start = check_time(body["start"], "start")
    end = check_time(body["end"], "end")
    if end <= start:
        raise Invalid(
            N_("the time window ends before it starts (end %(end)s, start %(start)s)"),
            end=end,
            start=start,
        )
    if (parse_time(end) - parse_time(start)).days >= MAX_ACTIVITY_DAYS:
        raise Invalid(N_("an activity lasts less than %(days)s days"), days=MAX_ACTIVITY_DAYS)
    description, lang = check_text(
        body["description"], body["lang"], charter, max_chars=MAX_TEXT_CHARS, what="description"
    )
    return Activity(
        activity_type=_choice(body["activity_type"], types, "activity_type"),
        start=start,
        end=end,
        place=check_geometry(body["place"], "place", PLACE_TYPES),
        description=description,
        lang=lang,
    )


def _request(body: dict[str, Any], charter: Charter) -> Request:
    check_fields(body, {"about", "question", "lang"})
    q, lang = check_text(
        body["question"], body["lang"], charter, max_chars=MAX_TEXT_CHARS, what="question"
    )
    return Request(_index(body["about"], "about"), q, lang)


def _answer(body: dict[str, Any], charter: Charter) -> Answer:
    check_fields(body, {"request", "answer", "lang"})
    a, lang = check_text(
        body["answer"], body["lang"], charter, max_chars=MAX_TEXT_CHARS, what="answer"
    )
    return Answer(_index(body["request"], "request"), a, lang)


_PARSERS: dict[str, Callable[[dict[str, Any], Charter], Any]] = {
    ZONE: _zone,
    INCIDENT: _incident,
    ACTIVITY: _activity,
    REQUESTED: _request,
    ANSWERED: _answer,
}


def parse_body(kind: str, body: dict[str, Any], charter: Charter) -> Any:
    """Check a de-escalation entry's body against its kind and the charter; return it typed."""
    parser = _PARSERS.get(kind)
    if parser is None:
        raise Invalid(N_("unknown de-escalation entry kind %(kind)s"), kind=kind)
    return parser(body, charter)
