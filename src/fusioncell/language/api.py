"""Translations and the glossary (/api/v1/translations, /api/v1/glossary). Reads only:
verified translations and the glossary's proposals and agreements are statements the
member's device signs and appends at /log/v1/append (docs/translation.md)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from fusioncell.api.deps import CellDep, require
from fusioncell.api.limits import MAX_INT
from fusioncell.authz import Permission, Principal
from fusioncell.errors import N_, Invalid
from fusioncell.language import kinds, queries

router = APIRouter(prefix="/api/v1", tags=["language"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]
TermId = Annotated[str, Path(pattern=kinds.TERM_RE.pattern)]
_ITEM = re.compile(r"^([1-9][0-9]{0,17}):([a-z][a-z0-9_]{0,31})$")


def parse_items(t: list[str], entry: int | None, field: str | None) -> list[tuple[int, str]]:
    items: list[tuple[int, str]] = []
    for raw in t:
        m = _ITEM.match(raw)
        if m is None:
            raise Invalid(N_("each t is ENTRY:FIELD, such as 12:text"))
        items.append((int(m.group(1)), m.group(2)))
    if entry is not None or field is not None:
        if entry is None or field is None or not kinds.FIELD_RE.match(field):
            raise Invalid(N_("entry and field go together, such as entry=12&field=text"))
        items.append((entry, field))
    return items


@router.get("/translations")
def translations(
    cell: CellDep,
    who: Reader,
    to: Annotated[str, Query(max_length=8)],
    t: Annotated[list[str] | None, Query()] = None,
    entry: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    field: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """For each text (t=ENTRY:FIELD, repeated; or entry= and field=), the original from
    the log and what to show beside it in language `to`: the verified translation, else a
    machine translation, else why there is none; and the glossary terms found."""
    return queries.translations(cell, who, parse_items(t or [], entry, field), to)


@router.get("/glossary")
def glossary(cell: CellDep, who: Reader) -> dict[str, Any]:
    """Every term with its current proposal, the parties that agreed it, what is adopted."""
    return {"terms": queries.glossary(cell, who)}


@router.get("/glossary/{term}")
def term(cell: CellDep, who: Reader, term: TermId) -> dict[str, Any]:
    """One term and every proposal of it."""
    [found] = queries.glossary(cell, who, term)
    return {**found, "history": queries.term_history(cell, who, term)}
