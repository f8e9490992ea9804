"""The de-escalation pages: a map of zones, incidents and notified activities drawn on the
server as SVG (no tiles, works air-gapped) with a timeline beside it, filters as a GET
form; an item's page with its clarifications.

Pages only read (fusioncell.deesc.queries); every write is a statement the member's device
signs in the browser (static/js/deesc.js) and appends at /log/v1/append.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.api.limits import MAX_INT
from fusioncell.authz import Permission, Principal
from fusioncell.cell import Cell
from fusioncell.charter.schema import format_duration
from fusioncell.deesc import kinds, queries, svgmap
from fusioncell.disputes.projector import SPEAK_ROLES
from fusioncell.duty.kinds import check_time
from fusioncell.errors import N_, Invalid
from fusioncell.web.i18n import translate
from fusioncell.web.render import localized, page_language, render

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]
Text = Annotated[str | None, Query(max_length=40)]

STATUS_LABELS = {
    kinds.AGREED: N_("agreed"),
    kinds.PROPOSED: N_("proposed by a party"),
    kinds.ILLUSTRATIVE: N_("illustrative"),
}


def _local_time(value: str | None, what: str) -> str | None:
    """A filter time from the form (`YYYY-MM-DDTHH:MM`, UTC) or an RFC 3339 time."""
    if not value:
        return None
    if len(value) == 16:
        value += ":00Z"
    try:
        return check_time(value, what)
    except Invalid:
        raise Invalid(N_("%(what)s is not a date and time"), what=what) from None


def _names(cell: Cell, lang: str) -> dict[str, Any]:
    d = cell.charter.deescalation
    return {
        "category_names": {c.id: localized(c.name, lang) for c in d.categories},
        "type_names": {t.id: localized(t.name, lang) for t in d.activity_types},
        "party_names": {p.code: localized(p.name, lang) for p in cell.charter.parties},
    }


def _common(request: Request, cell: Cell, who: Principal) -> dict[str, Any]:
    lang = page_language(request)
    languages = cell.charter.languages
    return {
        **_names(cell, lang),
        "visibility": ",".join(sorted(cell.charter.codes)),
        "languages": languages,
        "default_lang": lang if lang in languages else languages[0],
        "can_write": who.can(Permission.LOG_APPEND),
        "status_labels": STATUS_LABELS,
        "max_text": kinds.MAX_TEXT_CHARS,
        "notice": format_duration(cell.charter.clocks.planned_activity_notice),
    }


@router.get("/deesc")
def deesc_page(
    request: Request,
    cell: CellDep,
    who: Member,
    since: Text = None,
    until: Text = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    party: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    lang = page_language(request)
    f = queries.Filters.of(
        _local_time(since, "since"), _local_time(until, "until"), category, party
    )
    zones = queries.zones(cell, who)
    incidents = queries.incidents(cell, who, f)
    activities = queries.activities(cell, who, f)
    names = _names(cell, lang)
    layers = [
        svgmap.Layer(
            z["geometry"],
            "zone",
            svgmap.ZONE_STYLE[z["status"]],
            f"{z['name']} ({translate(lang, STATUS_LABELS[z['status']])})",
            ref=z["zone"],
        )
        for z in zones
    ]
    layers += [
        svgmap.Layer(
            a["place"],
            "activity",
            svgmap.CONFLICT_STYLE if a["conflicts"] else svgmap.ACTIVITY_STYLE,
            f"{names['type_names'].get(a['activity_type'], a['activity_type'])}"
            f" · {a['party']} · {a['start']}",
            href=f"/deesc/items/{a['index']}",
            ref=str(a["index"]),
        )
        for a in activities
    ]
    layers += [
        svgmap.Layer(
            i["place"],
            "incident",
            svgmap.INCIDENT_STYLE,
            f"{names['category_names'].get(i['category'], i['category'])}"
            f" · {i['party']} · {i['time']}",
            href=f"/deesc/items/{i['index']}",
            ref=str(i["index"]),
        )
        for i in incidents
    ]
    timeline = sorted(
        [*incidents, *activities],
        key=lambda x: (x.get("time") or x["start"], x["index"]),
        reverse=True,
    )
    return render(
        request,
        "deesc.html",
        svg=svgmap.render(layers, translate(lang, N_("Map of zones, incidents and activities"))),
        zones=zones,
        timeline=timeline,
        filters=f,
        since=since or "",
        until=until or "",
        categories=cell.charter.deescalation.categories,
        activity_types=cell.charter.deescalation.activity_types,
        zone_style=svgmap.ZONE_STYLE,
        **_common(request, cell, who),
    )


@router.get("/deesc/items/{index}")
def deesc_item(
    request: Request, cell: CellDep, who: Member, index: Annotated[int, Path(ge=1, le=MAX_INT)]
) -> Response:
    it = queries.item(cell, who, index)
    owing = it["party"]
    return render(
        request,
        "deesc_item.html",
        it=it,
        may_ask=who.can(Permission.LOG_APPEND) and who.party != owing,
        may_answer=who.can(Permission.LOG_APPEND) and who.party == owing,
        # An unanswered request, past its deadline, becomes a dispute in one step: the
        # dispute form opens with the request cited (docs/disputes.md).
        may_dispute=(
            who.can(Permission.LOG_APPEND)
            and who.role.value in SPEAK_ROLES
            and who.party not in cell.ledger.genesis.sees_all
        ),
        **_common(request, cell, who),
    )
