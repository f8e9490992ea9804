"""De-escalation's JSON API (/api/v1/deesc). Reads only: every write is a statement the
member's device signs and appends at /log/v1/append (docs/deescalation.md lists the kinds)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from fusioncell.api.deps import CellDep, require
from fusioncell.api.limits import MAX_INT
from fusioncell.authz import Permission, Principal
from fusioncell.deesc import queries

router = APIRouter(prefix="/api/v1/deesc", tags=["deescalation"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]
Time = Annotated[str | None, Query(max_length=40)]
Category = Annotated[str | None, Query(max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]
Party = Annotated[str | None, Query(pattern=r"^[A-Z]{2,8}$")]


def _filters(since: str | None, until: str | None, category: str | None, party: str | None) -> Any:
    return queries.Filters.of(since, until, category, party)


@router.get("/charter")
def charter(cell: CellDep, who: Reader) -> dict[str, Any]:
    """What a writer needs: the parties every entry is visible to, the categories and
    activity types, and the charter's clocks (in seconds)."""
    c = cell.charter
    return {
        "parties": sorted(c.codes),
        "categories": [x.model_dump() for x in c.deescalation.categories],
        "activity_types": [x.model_dump() for x in c.deescalation.activity_types],
        "planned_activity_notice_s": int(c.clocks.planned_activity_notice.total_seconds()),
        "clarification_answer_s": int(c.clocks.clarification_answer.total_seconds()),
    }


@router.get("/zones")
def zones(cell: CellDep, who: Reader) -> dict[str, Any]:
    """Zones and lines as loaded, each with its status (agreed, proposed, illustrative)."""
    return {"zones": queries.zones(cell, who)}


@router.get("/incidents")
def incidents(
    cell: CellDep,
    who: Reader,
    since: Time = None,
    until: Time = None,
    category: Category = None,
    party: Party = None,
) -> dict[str, Any]:
    """Incidents that happened in [since, until), newest first."""
    return {"incidents": queries.incidents(cell, who, _filters(since, until, category, party))}


@router.get("/activities")
def activities(
    cell: CellDep,
    who: Reader,
    since: Time = None,
    until: Time = None,
    category: Category = None,
    party: Party = None,
) -> dict[str, Any]:
    """Notified activities overlapping [since, until), with late marks and conflicts."""
    return {"activities": queries.activities(cell, who, _filters(since, until, category, party))}


@router.get("/clarifications")
def clarifications(
    cell: CellDep,
    who: Reader,
    about: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    state: Annotated[str | None, Query(pattern=r"^(open|overdue|answered)$")] = None,
) -> dict[str, Any]:
    """Requests for clarification, newest first; `state` keeps open, overdue or answered."""
    return {"clarifications": queries.clarifications(cell, who, about, state)}


@router.get("/items/{index}")
def item(
    cell: CellDep, who: Reader, index: Annotated[int, Path(ge=1, le=MAX_INT)]
) -> dict[str, Any]:
    """An incident or a notification, with its clarifications."""
    return queries.item(cell, who, index)
