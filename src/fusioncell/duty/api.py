"""Duty rosters' JSON API (/api/v1/duty). Reads only: every write is a statement the
member's device signs and appends at /log/v1/append (docs/duty.md lists the kinds)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from fusioncell.api.deps import CellDep, require
from fusioncell.api.limits import MAX_INT
from fusioncell.authz import Permission, Principal
from fusioncell.duty import draft, queries

router = APIRouter(prefix="/api/v1/duty", tags=["duty"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]
Admin = Annotated[Principal, require(Permission.DUTY_MANAGE)]
Party = Annotated[str, Path(pattern=r"^[A-Z]{2,8}$")]
Time = Annotated[str | None, Query(max_length=40)]
States = Annotated[list[str] | None, Query(max_length=3)]


@router.get("")
def board(cell: CellDep, who: Reader) -> dict[str, Any]:
    """For each party of the cell: who holds the duty now and until when, and who is next."""
    return queries.board(cell)


@router.get("/{party}/roster")
def roster(
    cell: CellDep,
    who: Reader,
    party: Party,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Time = None,
) -> dict[str, Any]:
    """The party's shifts that overlap [from, to) (default: from a day ago to a week ahead)."""
    return queries.roster(cell, party, from_, to)


@router.get("/{party}/handovers")
def handovers(
    cell: CellDep,
    who: Reader,
    party: Party,
    before: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The party's hand-over notes the caller's party may read, newest first."""
    return {"handovers": queries.handovers(cell, who, party, before=before, limit=limit)}


@router.get("/{party}/requests")
def requests(
    cell: CellDep,
    who: Reader,
    party: Party,
    state: States = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The party's swap and take requests, newest first; `state` keeps some of pending,
    approved, declined."""
    return {"requests": queries.requests(cell, party, state, limit=limit)}


class RotationIn(BaseModel):
    members: list[str] = Field(min_length=1, max_length=50)
    start: str = Field(max_length=40, description="local, in the party's zone: YYYY-MM-DD HH:MM")
    hours: int = Field(ge=1, le=24)
    count: int = Field(ge=1, le=500)


class DraftIn(BaseModel):
    table: str | None = Field(default=None, max_length=100_000)
    rotation: RotationIn | None = None
    from_: str | None = Field(default=None, alias="from", max_length=40)
    to: str | None = Field(default=None, max_length=40)


@router.post("/{party}/roster/draft")
def roster_draft(cell: CellDep, who: Admin, party: Party, body: DraftIn) -> dict[str, Any]:
    """The party admin's roster, from a pasted table (`member, start, end` per line, times
    in the party's zone) or a rotation, checked as the log would check it now: the body of
    `duty.roster.published` to sign, and the table as it reads. Writes nothing."""
    rota = None
    if body.rotation is not None:
        r = body.rotation
        rota = draft.Rotation(r.members, r.start, r.hours, r.count)
    return draft.draft(
        cell, who, party, table=body.table, rota=rota, start=body.from_, end=body.to
    ).to_json()
