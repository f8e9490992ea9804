"""GET /api/v1/sitrep: the situation report as JSON (the page and the PDF render the same
report). Dates are days in the reader's party's time zone; `party` picks a party's view,
which only a supervisor may (others get their own party's)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.sitrep.report import sitrep as make_report

router = APIRouter(prefix="/api/v1", tags=["sitrep"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]
Day = Annotated[str | None, Query(max_length=40, description="a day, YYYY-MM-DD")]
View = Annotated[
    str | None,
    Query(
        pattern=r"^([A-Z]{2,8}|all)$",
        description="a party's code, or `all` for the full view (supervisors only)",
    ),
]


@router.get("/sitrep")
def sitrep(
    cell: CellDep,
    who: Reader,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Day = None,
    party: View = None,
) -> dict[str, Any]:
    """The situation report for the days `from` to `to` (both included; by default
    yesterday and today, up to now) as `party` may read it: incidents, advance
    notifications, open clocks and breaches, time to acknowledge, disputes, understandings,
    and the log's checkpoint it rests on. At most 92 days; a view the caller may not have
    is the same 404 as a party that does not exist."""
    return make_report(cell, who, from_, to, party)
