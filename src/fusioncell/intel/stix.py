"""A report as a STIX 2.1 bundle (the `stix2` library): the report, its originating party
as an identity, its places as locations, and its releasability as a statement marking
definition on every object."""

from __future__ import annotations

import json
from typing import Any

import shapely.geometry
import stix2

from fusioncell.charter.schema import Charter
from fusioncell.messaging.projector import split

# STIX 2.1 (appendix A) maps the Admiralty credibility scale onto `confidence`; 6, "truth
# cannot be judged", has no value.
CONFIDENCE = {1: 90, 2: 70, 3: 50, 4: 30, 5: 10}
METRES_PER_DEGREE = 111_320


def _location(place: dict[str, Any], marking: str) -> stix2.Location:
    geom = shapely.geometry.shape(place)
    c = geom.centroid
    extra: dict[str, Any] = {}
    if place["type"] == "Polygon":
        # A STIX location is a point: the polygon's centroid, with a precision that covers
        # it, and the polygon itself in a custom property.
        minx, miny, maxx, maxy = geom.bounds
        extra["precision"] = round(max(maxx - minx, maxy - miny) * METRES_PER_DEGREE, 1)
        extra["x_fusioncell_geojson"] = place
    return stix2.Location(
        latitude=round(c.y, 7),
        longitude=round(c.x, 7),
        object_marking_refs=[marking],
        allow_custom=True,
        **extra,
    )


def bundle(row: Any, version: Any, charter: Charter) -> str:
    parties = split(row.releasability)
    names = {p.code: p.name for p in charter.parties}
    marking = stix2.MarkingDefinition(
        name=f"REL TO {', '.join(parties)}",
        definition_type="statement",
        definition=stix2.StatementMarking(
            statement=(
                f"Releasable to {', '.join(parties)} only. Originator control: not to be"
                f" released further without the consent of {row.party}."
            )
        ),
    )
    ident = stix2.Identity(
        name=names.get(row.party, row.party),
        identity_class="organization",
        object_marking_refs=[marking.id],
    )
    places = [_location(p, marking.id) for p in json.loads(version.places)]
    extra: dict[str, Any] = {}
    if version.info in CONFIDENCE:
        extra["confidence"] = CONFIDENCE[int(version.info)]
    report = stix2.Report(
        name=version.title,
        description=f"{version.summary}\n\n{version.body}",
        lang=version.lang,
        published=row.issued_at,
        created=row.issued_at,
        modified=version.time,
        report_types=["observed-data"],
        created_by_ref=ident.id,
        object_refs=[ident.id, *(p.id for p in places)],
        object_marking_refs=[marking.id],
        x_fusioncell_report=row.id,
        x_fusioncell_version=int(row.version),
        x_fusioncell_admiralty=f"{version.source}{int(version.info)}",
        x_fusioncell_window={"start": version.window_start, "end": version.window_end},
        allow_custom=True,
        **extra,
    )
    out: str = stix2.Bundle(marking, ident, *places, report, allow_custom=True).serialize()
    return out
