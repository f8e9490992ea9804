"""Commercial opportunities' pages: the list of proposals (filtered by stage), a new
proposal, and one proposal with its versions, the parties' interest and its stages.

Pages only read (fusioncell.commerce.queries); every write is a statement the member's
device signs in the browser (static/js/commerce.js) and appends at /log/v1/append. Who
may do what is the projector's rule; the pages offer only what it would accept."""

from __future__ import annotations

from typing import Annotated, Any

from babel.numbers import format_currency
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.cell import Cell
from fusioncell.commerce import kinds, queries
from fusioncell.commerce.projector import NO_PROPOSAL, STAGE_ROLES
from fusioncell.errors import NotFound
from fusioncell.web.cell_pages import _party_options
from fusioncell.web.render import localized, page_language, render

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]


def money(lang: str) -> Any:
    """{amount, currency} -> "US$25,000,000.00" in the page's language, isolated."""

    def fmt(value: dict[str, Any]) -> Markup:
        text = format_currency(value["amount"], value["currency"], locale=lang)
        return Markup("<bdi>{}</bdi>").format(text)

    return fmt


def _common(request: Request, cell: Cell, who: Principal) -> dict[str, Any]:
    lang = page_language(request)
    charter = cell.charter
    languages = charter.languages
    return {
        "party_names": {p.code: localized(p.name, lang) for p in charter.parties},
        "understandings": {u.id: localized(u.text, lang) for u in charter.understandings},
        "sectors": kinds.SECTORS,
        "sector_names": kinds.SECTOR_NAMES,
        "stages": kinds.STAGES,
        "stage_names": kinds.STAGE_NAMES,
        "levels": kinds.LEVELS,
        "level_names": kinds.LEVEL_NAMES,
        "languages": languages,
        "default_lang": lang if lang in languages else languages[0],
        "can_append": who.can(Permission.LOG_APPEND),
        "max_text": charter.cell.max_text_chars,
        "max_title": kinds.MAX_TITLE_CHARS,
        "format_money": money(lang),
    }


@router.get("/commerce")
def commerce_list(
    request: Request,
    cell: CellDep,
    who: Member,
    stage: Annotated[str | None, Query(max_length=24)] = None,
) -> Response:
    rows = queries.proposals(cell, who, stage or None)
    return render(
        request,
        "commerce.html",
        proposals=rows,
        stage=stage or "",
        party_options=_party_options(cell, who),
        **_common(request, cell, who),
    )


@router.get("/commerce/p/{proposal}")
def commerce_proposal(request: Request, cell: CellDep, who: Member, proposal: str) -> Response:
    # A malformed id is as missing as a well-formed one nobody proposed (one 404).
    if not kinds.PROPOSAL_RE.match(proposal):
        raise NotFound(NO_PROPOSAL)
    view = queries.proposal_view(cell, who, proposal)
    p = view["proposal"]
    writer = who.can(Permission.LOG_APPEND)
    mine = who.party in p["parties"]
    return render(
        request,
        "commerce_proposal.html",
        view=view,
        p=p,
        may_interest=writer and mine and who.party != p["party"] and bool(view["next"]),
        may_revise=writer and who.party == p["party"] and bool(view["next"]),
        may_move=(
            writer
            and who.role.value in STAGE_ROLES
            and who.party in [p["party"], *view["counterparties"]]
            and bool(view["next"])
        ),
        **_common(request, cell, who),
    )
