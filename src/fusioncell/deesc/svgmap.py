"""The de-escalation map as a server-side SVG: no tile server, no script, works air-gapped.

A simple equirectangular projection fitted to the layers' bounds (longitudes scaled by the
cosine of the middle latitude, so shapes keep their proportions near the region). Zones are
styled by status (agreed: solid; proposed: dashed; illustrative: dotted), notifications are
areas (points and lines widened), incidents are points. Colours are SVG presentation
attributes, not style attributes: the page's CSP allows no inline style.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from fusioncell.deesc import kinds
from fusioncell.deesc.projector import area

WIDTH = 800
MIN_HEIGHT = 240
MAX_HEIGHT = 800
PAD = 0.08  # of the span, on each side
MIN_SPAN = 0.05  # degrees: a single point still gets a readable frame

ZONE_STYLE = {
    kinds.AGREED: {"stroke": "#1b5e20", "fill": "#1b5e20", "fill-opacity": "0.12"},
    kinds.PROPOSED: {
        "stroke": "#8a5a00",
        "fill": "#8a5a00",
        "fill-opacity": "0.08",
        "stroke-dasharray": "8 4",
    },
    kinds.ILLUSTRATIVE: {
        "stroke": "#555555",
        "fill": "#555555",
        "fill-opacity": "0.05",
        "stroke-dasharray": "2 4",
    },
}
ACTIVITY_STYLE = {"stroke": "#0d47a1", "fill": "#0d47a1", "fill-opacity": "0.18"}
CONFLICT_STYLE = {"stroke": "#b71c1c", "fill": "#b71c1c", "fill-opacity": "0.25"}
INCIDENT_STYLE = {"stroke": "#ffffff", "fill": "#b71c1c"}


@dataclass(frozen=True, slots=True)
class Layer:
    """One shape to draw: its geometry, what it is (zone, activity, incident), its look,
    a link and a title (the tooltip and the accessible name)."""

    geometry: dict[str, Any]
    what: str
    style: dict[str, str]
    title: str
    href: str | None = None
    ref: str = ""


def _coords(geo: dict[str, Any]) -> Iterator[tuple[float, float]]:
    def walk(c: Any) -> Iterator[tuple[float, float]]:
        if c and isinstance(c[0], (int, float)):
            yield float(c[0]), float(c[1])
        else:
            for x in c:
                yield from walk(x)

    yield from walk(geo["coordinates"])


@dataclass(frozen=True, slots=True)
class Frame:
    west: float
    south: float
    east: float
    north: float
    height: int

    @classmethod
    def fit(cls, layers: Iterable[Layer]) -> Frame | None:
        pts = [p for layer in layers for p in _coords(layer.geometry)]
        if not pts:
            return None
        w, e = min(p[0] for p in pts), max(p[0] for p in pts)
        s, n = min(p[1] for p in pts), max(p[1] for p in pts)
        dx, dy = max(e - w, MIN_SPAN), max(n - s, MIN_SPAN)
        cx, cy = (w + e) / 2, (s + n) / 2
        w, e = cx - dx / 2 * (1 + 2 * PAD), cx + dx / 2 * (1 + 2 * PAD)
        s, n = max(cy - dy / 2 * (1 + 2 * PAD), -90.0), min(cy + dy / 2 * (1 + 2 * PAD), 90.0)
        k = max(math.cos(math.radians(cy)), 0.01)
        height = round(WIDTH * (n - s) / ((e - w) * k))
        return cls(w, s, e, n, min(max(height, MIN_HEIGHT), MAX_HEIGHT))

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x = (lon - self.west) / (self.east - self.west) * WIDTH
        y = (self.north - lat) / (self.north - self.south) * self.height
        return round(x, 1), round(y, 1)


def _attrs(style: dict[str, str]) -> Markup:
    return Markup("").join(Markup(' {}="{}"').format(k, v) for k, v in sorted(style.items()))


def _ring(frame: Frame, ring: Any) -> str:
    pts = [frame.xy(float(p[0]), float(p[1])) for p in ring]
    return "M" + " L".join(f"{x},{y}" for x, y in pts)


def _path(frame: Frame, g: Any) -> str:
    """A shapely geometry as SVG path data (polygons closed, holes drawn even-odd)."""
    t = g.geom_type
    if t == "Polygon":
        return " ".join(_ring(frame, r.coords) + " Z" for r in [g.exterior, *g.interiors])
    if t == "LineString":
        return _ring(frame, g.coords)
    if t in ("MultiPolygon", "MultiLineString", "GeometryCollection"):
        return " ".join(_path(frame, part) for part in g.geoms)
    return ""


def _shape(frame: Frame, layer: Layer) -> Markup:
    g = kinds.geometry(layer.geometry)
    title = Markup("<title>{}</title>").format(layer.title)
    data = Markup(' class="map-{}" data-ref="{}"').format(layer.what, layer.ref)
    if layer.what == "incident" and g.geom_type == "Point":
        x, y = frame.xy(g.x, g.y)
        body = Markup('<circle cx="{}" cy="{}" r="6" stroke-width="2"{}{}>{}</circle>').format(
            x, y, data, _attrs(layer.style), title
        )
    else:
        if layer.what == "activity" or g.geom_type == "Point":
            g = area(g)
        lines = g.geom_type in ("LineString", "MultiLineString")
        style = dict(layer.style)
        if lines:
            style["fill"] = "none"
            style.pop("fill-opacity", None)
        body = Markup('<path d="{}" stroke-width="{}" fill-rule="evenodd"{}{}>{}</path>').format(
            _path(frame, g), 3 if lines else 2, data, _attrs(style), title
        )
    if layer.href:
        return Markup('<a href="{}">{}</a>').format(layer.href, body)
    return body


def _corner(lon: float, lat: float) -> str:
    """A corner's position, to read the frame by (the map has no graticule)."""
    ew = "E" if lon >= 0 else "W"
    ns = "N" if lat >= 0 else "S"
    return f"{abs(lon):.3f}°{ew} {abs(lat):.3f}°{ns}"


def render(layers: list[Layer], label: str) -> Markup:
    """The map: zones first, then notifications, then incidents on top. `label`: its
    accessible name. Empty when there is nothing to draw."""
    frame = Frame.fit(layers)
    if frame is None:
        return Markup("")
    order = {"zone": 0, "activity": 1, "incident": 2}
    shapes = Markup("").join(
        _shape(frame, layer) for layer in sorted(layers, key=lambda x: order.get(x.what, 3))
    )
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" id="deesc-svg" role="group" viewBox="0 0 {w} {h}"'
        ' width="100%" aria-label="{label}" data-bounds="{b}">'
        '<rect width="{w}" height="{h}" fill="#f4f1ea" stroke="#999999"/>{shapes}'
        '<text x="4" y="{hb}" font-size="11" fill="#555555" direction="ltr">{sw}</text>'
        '<text x="{wr}" y="14" font-size="11" fill="#555555" direction="ltr"'
        ' text-anchor="end">{ne}</text></svg>'
    ).format(
        hb=frame.height - 4,
        wr=WIDTH - 4,
        sw=_corner(frame.west, frame.south),
        ne=_corner(frame.east, frame.north),
        w=WIDTH,
        h=frame.height,
        label=escape(label),
        b=f"{frame.west:.4f},{frame.south:.4f},{frame.east:.4f},{frame.north:.4f}",
        shapes=shapes,
    )
