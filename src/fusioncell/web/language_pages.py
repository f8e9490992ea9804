"""The glossary's page: every term with its state, proposing a term or a change, agreeing.

Pages only read (fusioncell.language.queries); every write is a statement the member's
device signs in the browser (static/js/translate.js) and appends at /log/v1/append. Who
may do what is the projector's rule; the page offers only what it would accept.
Translations beside originals are drawn on every page by translate.js, from
/api/v1/translations (docs/translation.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.language import engines, kinds, queries
from fusioncell.language.projector import ADOPTED, GLOSSARY_ROLES
from fusioncell.web.render import localized, page_language, render

router = APIRouter(include_in_schema=False)

Member = Annotated[Principal, require(Permission.CELL_READ)]


@router.get("/glossary")
def glossary_page(request: Request, cell: CellDep, who: Member) -> Response:
    lang = page_language(request)
    charter = cell.charter
    terms = queries.glossary(cell, who)
    may = who.can(Permission.LOG_APPEND) and who.role.value in GLOSSARY_ROLES
    for t in terms:
        t["may_agree"] = may and who.party not in t["agreed"]
        t["waiting"] = [p for p in charter.codes if p not in t["agreed"]]
    return render(
        request,
        "glossary.html",
        terms=terms,
        adopted=sum(1 for t in terms if t["state"] == ADOPTED),
        parties=charter.codes,
        party_names={p.code: localized(p.name, lang) for p in charter.parties},
        languages=charter.languages,
        may_propose=may,
        can_append=who.can(Permission.LOG_APPEND),
        max_term=kinds.MAX_TERM_CHARS,
        max_note=kinds.MAX_NOTE_CHARS,
        term_pattern=kinds.TERM_RE.pattern,
        default_lang=lang if lang in charter.languages else charter.languages[0],
        engine=engines.engine_for(cell.settings).name,
    )
