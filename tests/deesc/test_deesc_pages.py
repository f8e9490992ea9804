"""The de-escalation pages rendered by the app (no browser): the SVG map with its layers
and legend, the on-screen notice that layers are illustrative, filters, the timeline, an
item's page with its clarifications, and bad queries answered with a page, never a 500."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.deesc import kinds, svgmap, zones
from fusioncell.disputes.client import DisputesClient
from fusioncell.identity.accounts import do_add_member
from fusioncell.web import i18n
from tests.deesc.conftest import MakeMember, at
from tests.deesc.test_deesc import BUFFER, INSIDE, OUTSIDE, SKETCH, notify, report, zone_doc


def page(http: Any, who: Any, path: str, lang: str = "en", status: int = 200) -> str:
    http.cookies.set("fc_lang", lang)
    r = http.get(path, headers=who.headers)
    assert r.status_code == status, (path, r.text[:500])
    return str(r.text)


@pytest.mark.parametrize("lang", i18n.LOCALES)
def test_map_timeline_and_item(cell: Cell, member: MakeMember, http: Any, lang: str) -> None:
    zones.load(cell, zone_doc("buffer", BUFFER), kinds.AGREED)
    zones.load(cell, zone_doc("sketch", SKETCH, "Sketch"), kinds.ILLUSTRATIVE)
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    inc = report(sy)
    act = notify(il, INSIDE, 10, 12)  # late, and in the agreed zone
    other = notify(il, OUTSIDE, 80, 82, activity_type="exercise")
    html = page(http, il, "/deesc", lang)
    assert 'id="deesc-illustrative"' in html and "<svg" in html and "<script>" not in html
    assert html.count('class="map-zone"') == 2 and html.count('class="map-incident"') == 1
    assert html.count('class="map-activity"') == 2
    assert 'stroke-dasharray="2 4"' in html  # the illustrative zone, dotted
    assert f'href="/deesc/items/{inc}"' in html and "deesc-conflict" in html
    assert 'lang="ar"' in html and "قصف مدفعي" in html
    # filters: by category (an activity type), by party, by time window; the map and the
    # timeline both
    html = page(http, il, "/deesc?category=exercise", lang)
    assert f'data-index="{other}"' in html and f'data-index="{act}"' not in html
    assert f'data-index="{inc}"' not in html
    assert f'class="map-activity" data-ref="{other}"' in html
    assert f'data-ref="{act}"' not in html and 'class="map-incident"' not in html
    assert html.count('class="map-zone"') == 2  # the zones are always drawn
    html = page(http, il, f"/deesc?party=SY&since={at(-3)[:16]}", lang)
    assert f'data-index="{inc}"' in html and f'data-index="{act}"' not in html
    assert f'class="map-incident" data-ref="{inc}"' in html and 'class="map-activity"' not in html
    html = page(http, il, f"/deesc?until={at(-3)[:16]}", lang)  # before the incident
    assert f'data-index="{inc}"' not in html and 'class="map-incident"' not in html
    page(http, il, f"/deesc?since={at(2)[:16]}&until={at(1)[:16]}", lang, status=400)
    page(http, il, "/deesc?since=yesterday", lang, status=400)

    item = page(http, il, f"/deesc/items/{act}", lang)
    assert 'id="deesc-conflicts"' in item and 'data-ref="buffer"' in item
    assert "deesc-clarify-form" not in item  # a party does not ask itself
    sy_item = page(http, sy, f"/deesc/items/{inc}", lang)
    assert "deesc-clarify-form" not in sy_item
    req = il.request_clarification(inc, "מתי בדיוק?", "he").index
    sy_item = page(http, sy, f"/deesc/items/{inc}", lang)
    assert f'data-request="{req}"' in sy_item and 'class="deesc-answer"' in sy_item
    assert 'lang="he"' in sy_item
    page(http, il, f"/deesc/items/{inc + 1000}", lang, status=404)
    page(http, il, "/deesc/items/0", lang, status=400)


def test_svg_projection_fits_the_layers() -> None:
    layers = [
        svgmap.Layer(BUFFER, "zone", svgmap.ZONE_STYLE[kinds.AGREED], "Buffer <&>"),
        svgmap.Layer(OUTSIDE, "incident", svgmap.INCIDENT_STYLE, "x", href="/deesc/items/3"),
    ]
    svg = str(svgmap.render(layers, "Map"))
    assert "Buffer &lt;&amp;&gt;" in svg and 'href="/deesc/items/3"' in svg
    w, s, e, n = map(float, re.search(r'data-bounds="([^"]+)"', svg).group(1).split(","))  # type: ignore[union-attr]
    assert w < 35.6 and e > 35.95 and s < 33.0 and n > 33.3
    for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", svg.split("<path")[1].split('"')[1]):
        assert 0 <= float(x) <= svgmap.WIDTH and float(y) >= 0
    assert "35.5" in svg and "°E" in svg and "°N" in svg  # the corners, to read the frame by
    assert svgmap.render([], "Map") == ""


def test_an_unanswered_clarification_becomes_a_dispute_in_one_step(
    cell: Cell, member: MakeMember, http: Any, clock: Any
) -> None:
    sy, il, us = member("SY", "sy-liaison"), member("IL", "il-liaison"), member("US", "us-duty")
    inc = report(sy)
    req = il.request_clarification(inc, "מתי בדיוק?", "he").index
    link = f'href="/disputes/new?about={req}"'
    assert link not in page(http, il, f"/deesc/items/{inc}")  # not yet due
    clock.advance(timedelta(hours=49))
    assert 'data-state="overdue"' in page(http, il, f"/deesc/items/{inc}")
    assert link in page(http, il, f"/deesc/items/{inc}", "he")
    # only the asking party is offered it; the supervisor mediates and raises none
    assert link not in page(http, sy, f"/deesc/items/{inc}")
    assert link not in page(http, us, f"/deesc/items/{inc}")
    # the link opens the dispute form with the request cited ...
    form = page(http, il, f"/disputes/new?about={req}", "he")
    assert f'id="disputes-about" data-index="{req}"' in form and f'value="{req}"' in form
    # ... and the dispute it raises cites it
    do_add_member(cell, "IL", "il-liaison", Role.LIAISON_OFFICER)  # its role, in the log
    token = il.headers["Authorization"].removeprefix("Bearer ")
    d = DisputesClient(token=token, key=il.key, party="IL", member="il-liaison", http=http)
    did, _ = d.raise_dispute(
        ["SY", "US"],
        "שאלה ללא מענה",
        "לא התקבלה הבהרה בתוך 48 שעות.",
        "מענה מיידי.",
        "he",
        cites=[req],
    )
    assert req in [c["index"] for c in d.dispute(did)["cites"]]
