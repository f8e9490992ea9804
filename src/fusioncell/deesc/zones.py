"""Zones and lines from a GeoJSON file, as `zone.loaded` bodies; and loading them.

The operator loads agreed and illustrative layers (system entries, signed by the log key);
a proposed layer names the party that proposes it. Every feature is checked before any
entry is written, so a bad file writes nothing."""

from __future__ import annotations

from typing import Any

from fusioncell.cell import Cell
from fusioncell.deesc import kinds
from fusioncell.errors import N_, Invalid

MAX_FEATURES = 200


def bodies(doc: Any, status: str, party: str | None = None) -> list[dict[str, Any]]:
    """A GeoJSON FeatureCollection (or one Feature) -> `zone.loaded` bodies. Each feature's
    properties give `id` and `name` (and `lang`, default en)."""
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise Invalid(N_("a zones file is a GeoJSON FeatureCollection"))
    features = doc.get("features")
    if not isinstance(features, list) or not 1 <= len(features) <= MAX_FEATURES:
        raise Invalid(N_("a zones file has 1 to %(n)s features"), n=MAX_FEATURES)
    out = []
    for n, f in enumerate(features, start=1):
        props = f.get("properties") if isinstance(f, dict) else None
        if not isinstance(props, dict):
            raise Invalid(N_("feature %(n)s has no properties {id, name}"), n=n)
        body: dict[str, Any] = {
            "zone": props.get("id"),
            "name": props.get("name"),
            "lang": props.get("lang", "en"),
            "status": status,
            "geometry": f.get("geometry"),
        }
        if party is not None:
            body["party"] = party
        out.append(body)
    ids = [b["zone"] for b in out]
    if len(set(map(str, ids))) != len(ids):
        raise Invalid(N_("a zone id is given twice"))
    return out


def load(cell: Cell, doc: Any, status: str, party: str | None = None) -> list[int]:
    """Check every feature, then write one system entry per zone. Returns their indexes."""
    charter = cell.charter
    checked = []
    for n, b in enumerate(bodies(doc, status, party), start=1):
        try:
            kinds.parse_body(kinds.ZONE, b, charter)
        except Invalid as exc:
            raise Invalid(N_("feature %(n)s: %(why)s"), n=n, why=exc.message) from None
        checked.append(b)
    vis = sorted(charter.codes)
    return [
        cell.ledger.append_system(kinds.ZONE, kinds.zone_subject(b["zone"]), vis, b).index
        for b in checked
    ]
