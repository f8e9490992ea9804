"""Understandings' JSON API (/api/v1/understandings). Reads only: every write is a
statement the member's device signs and appends at /log/v1/append (docs/understandings.md
lists the kinds)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.understandings import kinds, queries

router = APIRouter(prefix="/api/v1/understandings", tags=["understandings"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]
UnderstandingId = Annotated[str, Path(pattern=kinds.UNDERSTANDING_RE.pattern)]


@router.get("")
def understandings(cell: CellDep, who: Reader) -> dict[str, Any]:
    """Every understanding with its status, source, parties and next milestone."""
    return {"understandings": queries.understandings_list(cell, who)}


@router.get("/{understanding}")
def understanding(cell: CellDep, who: Reader, understanding: UnderstandingId) -> dict[str, Any]:
    """An understanding with the history of its status, its timeline, milestones,
    verification reports, and the entries, proposals and disputes linked to it."""
    return queries.understanding_view(cell, who, understanding)
