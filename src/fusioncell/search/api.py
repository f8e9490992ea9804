"""Search's JSON API (/api/v1/search): what the caller's party may read, in any language."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.search import queries

router = APIRouter(prefix="/api/v1/search", tags=["search"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]


@router.get("")
def search(
    cell: CellDep,
    who: Reader,
    # Longer than the query's own limit so that the limit's clear message answers, not
    # a validation error.
    q: Annotated[str, Query(max_length=4 * queries.MAX_QUERY_CHARS)] = "",
    kind: Annotated[str | None, Query(max_length=16)] = None,
    lang: Annotated[str | None, Query(max_length=8)] = None,
    offset: Annotated[int, Query(ge=0, le=queries.MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = queries.PAGE,
) -> dict[str, Any]:
    """Ranked results with a highlighted snippet of the original text, a link to the item,
    its language, author and time; `total` counts only what the party may read."""
    return queries.search(
        cell, who, q, area=kind or None, lang=lang or None, offset=offset, limit=limit
    )
