"""The line's JSON API (/api/v1/line). Reads only: every write is a statement the member's
device signs and appends at /log/v1/append (docs/line.md lists the kinds)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.errors import NotFound
from fusioncell.line import queries
from fusioncell.line.kinds import CHECK_RE
from fusioncell.line.projector import NO_CHECK

router = APIRouter(prefix="/api/v1/line", tags=["line"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]


@router.get("")
def line(
    cell: CellDep,
    who: Reader,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_CHECKS)] = 20,
) -> dict[str, Any]:
    """The line's state and its history, each party's newest `limit` checks, the checks
    still open, who holds each party's duty, and what the caller may do."""
    return queries.overview(cell, who, limit)


@router.get("/checks/{check}")
def check(
    cell: CellDep, _: Reader, check: Annotated[str, Path(pattern=CHECK_RE.pattern)]
) -> dict[str, Any]:
    """One check: a row per party checked."""
    rows = queries.check_rows(cell, check)
    if not rows:
        raise NotFound(NO_CHECK)
    return {"check": check, "parties": rows}
