"""The demo's de-escalation (fusioncell.demo): an agreed buffer zone and an illustrative
sketch of a line loaded by the operator (log key); an incident reported in Arabic, a
clarification asked in Hebrew and answered in Arabic; a notification that conflicts with
the agreed zone, which the supervisor asks about in English and Israel answers in English;
and a late one. Signed by the demo members' own keys. The shapes are
invented for the demo and depict no real line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.deesc import kinds, zones
from fusioncell.identity.devices import post_as
from fusioncell.ledger.entry import Author
from fusioncell.ledger.keys import SigningKey

BUFFER: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [
        [[35.80, 32.95], [35.92, 32.95], [35.95, 33.30], [35.84, 33.30], [35.80, 32.95]]
    ],
}
SKETCH: dict[str, Any] = {
    "type": "LineString",
    "coordinates": [[35.78, 32.90], [35.80, 33.10], [35.83, 33.35]],
}
ZONES = [
    ("demo-buffer", "Buffer zone (demo)", kinds.AGREED, BUFFER),
    ("demo-sketch-line", "Sketch of a separation line (demo)", kinds.ILLUSTRATIVE, SKETCH),
]


def _feature(zone: str, name: str, geometry: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"id": zone, "name": name}, "geometry": geometry}


def seed_deescalation(cell: Cell, keys: dict[str, SigningKey]) -> None:
    if any(m not in keys for m in ("sy-liaison", "il-liaison")):
        return
    for zone, name, status, geometry in ZONES:
        doc = {"type": "FeatureCollection", "features": [_feature(zone, name, geometry)]}
        zones.load(cell, doc, status)
    everyone = sorted(cell.charter.codes)
    now = cell.clock.now()

    def write(member: str, kind: str, body: dict[str, Any]) -> int:
        key = keys[member]
        author = Author(member[:2].upper(), member, key.key_id_hex)
        return post_as(cell, key, author, kind, kinds.SUBJECTS[kind], everyone, body).index

    incident = write(
        "sy-liaison",
        kinds.INCIDENT,
        {
            "time": rfc3339((now - timedelta(hours=5)).replace(minute=0, second=0, microsecond=0)),
            "time_precision": "hour",
            "place": {"type": "Point", "coordinates": [35.86, 33.12]},
            "place_precision_m": 500,
            "category": "shelling",
            "actors": ["وحدة مدفعية غير محددة"],
            "casualties": {"killed": 0, "injured": 2},
            "description": "سقوط قذائف مدفعية قرب أطراف القرية؛ إصابة مدنيَّين بجروح طفيفة.",
            "lang": "ar",
            "sources": ["مراقب محلي", "تقرير الدفاع المدني"],
        },
    )
    request = write(
        "il-liaison",
        kinds.REQUESTED,
        {
            "about": incident,
            "question": "באיזו שעה בדיוק נורו הפגזים, ומאיזה כיוון?",
            "lang": "he",
        },
    )
    write(
        "sy-liaison",
        kinds.ANSWERED,
        {
            "request": request,
            "answer": "نحو الساعة السابعة صباحاً، من جهة الغرب.",
            "lang": "ar",
        },
    )
    start = (now + timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
    patrol = write(  # crosses the agreed buffer zone: the cell flags it to every party
        "il-liaison",
        kinds.ACTIVITY,
        {
            "activity_type": "patrol",
            "start": rfc3339(start),
            "end": rfc3339(start + timedelta(hours=4)),
            "place": {
                "type": "LineString",
                "coordinates": [[35.70, 33.05], [35.88, 33.10]],
            },
            "description": "סיור רכוב לאורך הכביש הצפוני",
            "lang": "he",
        },
    )
    if "us-supervisor" in keys:  # the supervisor asks about the conflict, in English
        asked = write(
            "us-supervisor",
            kinds.REQUESTED,
            {
                "about": patrol,
                "question": "The patrol route crosses the agreed buffer zone. Will it be "
                "rerouted, or is an exception requested?",
                "lang": "en",
            },
        )
        write(
            "il-liaison",
            kinds.ANSWERED,
            {
                "request": asked,
                "answer": "It will be rerouted south of the zone; a corrected notice follows.",
                "lang": "en",
            },
        )
    soon = (now + timedelta(hours=20)).replace(minute=0, second=0, microsecond=0)
    write(  # less than the charter's notice ahead: accepted, marked late
        "sy-liaison",
        kinds.ACTIVITY,
        {
            "activity_type": "engineering",
            "start": rfc3339(soon),
            "end": rfc3339(soon + timedelta(hours=6)),
            "place": {
                "type": "Polygon",
                "coordinates": [
                    [[36.00, 33.00], [36.03, 33.00], [36.03, 33.02], [36.00, 33.02], [36.00, 33.00]]
                ],
            },
            "description": "أعمال ترميم طريق زراعي",
            "lang": "ar",
        },
    )
