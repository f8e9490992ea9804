"""The search page: one field, the kind and language filters, ranked results with a
snippet of the original text (escaped first, then marked) and a link to the item.

A plain GET form: nothing to sign, no script. What the member may not read is never
found (fusioncell.search.queries)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup, escape

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.errors import N_, Invalid
from fusioncell.language.fields import REGISTRY
from fusioncell.search import queries
from fusioncell.search.projector import areas
from fusioncell.web.i18n import direction, neutralise_bidi
from fusioncell.web.render import error_text, localized, page_language, render

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]

AREA_NAMES = {
    "cell": N_("Cell messages"),
    "intel": N_("Intelligence"),
    "deesc": N_("De-escalation"),
    "commerce": N_("Commerce"),
    "charter": N_("The charter's understandings"),
    "disputes": N_("Disputes"),
    "understandings": N_("Understandings"),
    "diplomacy": N_("Diplomacy"),
    "statements": N_("Joint statements"),
}
FIELD_NAMES = {
    "topic": N_("Topic"),
    "text": N_("Text"),
    "reason": N_("Reason"),
    "title": N_("Title"),
    "summary": N_("Summary"),
    "body": N_("Body"),
    "description": N_("Description"),
    "question": N_("Question"),
    "answer": N_("Answer"),
    "source": N_("Source"),
    "account": N_("Account"),
    "request": N_("Request"),
    "findings": N_("Findings"),
    "note": N_("Note"),
    "place": N_("Place"),
    "agenda": N_("Agenda"),
}


def snippet_html(segments: list[dict[str, Any]], lang: str) -> Markup:
    """The snippet isolated in <bdi>: every segment escaped (bidi controls shown as
    marks), then the matched words wrapped in <mark>."""
    inner = Markup("").join(
        Markup("<mark>{}</mark>").format(neutralise_bidi(s["text"]))
        if s["mark"]
        else escape(neutralise_bidi(s["text"]))
        for s in segments
    )
    return Markup('<bdi lang="{}" dir="{}">{}</bdi>').format(lang, direction(lang), inner)


def translatable(kind: str, field: str) -> bool:
    """Whether the text a result was found in has a translation beside it (a text the
    registry does not name would fail the whole page's request for translations)."""
    return field in REGISTRY.get(kind, {})


@router.get("/search")
def search_page(
    request: Request,
    cell: CellDep,
    who: Member,
    q: Annotated[str, Query(max_length=4 * queries.MAX_QUERY_CHARS)] = "",
    kind: Annotated[str, Query(max_length=16)] = "",
    lang: Annotated[str, Query(max_length=8)] = "",
    offset: Annotated[int, Query(ge=0, le=queries.MAX_OFFSET)] = 0,
) -> Response:
    page_lang = page_language(request)
    found: dict[str, Any] | None = None
    problem: str | None = None
    if q.strip():
        try:
            found = queries.search(
                cell, who, q, area=kind or None, lang=lang or None, offset=offset
            )
        except Invalid as exc:
            problem = error_text(request, exc)
    charter = cell.charter
    return render(
        request,
        "search.html",
        status=400 if problem else 200,
        q=q,
        kind=kind,
        filter_lang=lang,
        found=found,
        problem=problem,
        areas=areas(),
        area_names=AREA_NAMES,
        field_names=FIELD_NAMES,
        languages=charter.languages,
        party_names={p.code: localized(p.name, page_lang) for p in charter.parties},
        snippet_html=snippet_html,
        translatable=translatable,
    )
