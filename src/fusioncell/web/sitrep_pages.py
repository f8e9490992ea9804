"""The situation report's page (/sitrep: a GET form for the period and, for a supervisor,
the party's view; the report below it) and its PDF (/sitrep.pdf), in the reader's
language. Both render the JSON report of fusioncell.sitrep.report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.clock import parse_rfc3339
from fusioncell.errors import Invalid
from fusioncell.sitrep import pdf
from fusioncell.sitrep.report import FULL, MAX_DAYS, build, period_of, view_of, views
from fusioncell.sitrep.view import context
from fusioncell.web.render import error_text, localized, page_language, render

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]
Day = Annotated[str | None, Query(max_length=40)]
View = Annotated[str | None, Query(pattern=r"^([A-Z]{2,8}|all)$")]


@router.get("/sitrep")
def sitrep_page(
    request: Request,
    cell: CellDep,
    who: Member,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Day = None,
    party: View = None,
) -> Response:
    lang = page_language(request)
    view, _ = view_of(cell, who, party)  # a hidden view: the 404 page, as a missing one
    zone = cell.charter.party(who.party).timezone
    common: dict[str, Any] = {
        "views": views(cell, who),
        "full_view": FULL,
        "party_names": {p.code: localized(p.name, lang) for p in cell.charter.parties},
        "zone": zone,
        "max_days": MAX_DAYS,
        "pdf_ok": pdf.available(),
    }
    try:
        period = period_of(from_, to, zone, cell.clock.now())
    except Invalid as exc:  # the form again, with what was wrong, in the reader's language
        form = {"from": from_ or "", "to": to or "", "party": view}
        return render(
            request, "sitrep.html", 400, form=form, error=error_text(request, exc), **common
        )
    report = build(cell, who, period, party)
    form = {"from": report["period"]["from"], "to": report["period"]["to"], "party": view}
    ctx = common | context(cell, report, lang, pdf=False)
    return render(request, "sitrep.html", form=form, error=None, **ctx)


@router.get("/sitrep.pdf")
def sitrep_pdf(
    request: Request,
    cell: CellDep,
    who: Member,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Day = None,
    party: View = None,
) -> Response:
    """The report as a PDF in the reader's language (503 where PDF export cannot run)."""
    pdf.check_available()
    view, _ = view_of(cell, who, party)
    zone = cell.charter.party(who.party).timezone
    report = build(cell, who, period_of(from_, to, zone, cell.clock.now()), party)
    data = pdf.sitrep_pdf(cell, report, page_language(request))
    made = parse_rfc3339(report["made_at"]).strftime("%Y%m%dT%H%M")
    name = f"sitrep-{report['period']['from']}-{report['period']['to']}-{view}-{made}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-cache",
        },
    )
