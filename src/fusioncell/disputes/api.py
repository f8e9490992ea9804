"""Disputes' JSON API (/api/v1/disputes). Reads only: every write is a statement the
member's device signs and appends at /log/v1/append (docs/disputes.md lists the kinds)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.api.limits import MAX_INT
from fusioncell.authz import Permission, Principal
from fusioncell.disputes import kinds, queries

router = APIRouter(prefix="/api/v1/disputes", tags=["disputes"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]
DisputeId = Annotated[str, Path(pattern=kinds.DISPUTE_RE.pattern)]


@router.get("")
def disputes(
    cell: CellDep,
    who: Reader,
    stage: Annotated[str | None, Query(max_length=16)] = None,
    understanding: Annotated[str | None, Query(max_length=64)] = None,
    entry: Annotated[int | None, Query(ge=0, le=MAX_INT)] = None,
) -> dict[str, Any]:
    """The disputes the caller's party may see, most recently active first: all, those at
    `stage`, those about `understanding`, or those citing log `entry`."""
    queries.check_stage(stage)
    if understanding is not None:
        rows = queries.about_understanding(cell, who, understanding)
    elif entry is not None:
        rows = queries.about_entry(cell, who, entry)
    else:
        rows = queries.disputes_list(cell, who, stage)
    if stage is not None:
        rows = [r for r in rows if r["stage"] == stage]
    return {"disputes": rows}


@router.get("/citable/{index}")
def citable(
    cell: CellDep, who: Reader, index: Annotated[int, Path(ge=0, le=MAX_INT)]
) -> dict[str, Any]:
    """An entry the caller may cite in a dispute: its kind, time and page; 404 where it
    is missing or hidden from the caller's party (one answer for both)."""
    return queries.citable(cell, who, index)


@router.get("/{dispute}")
def dispute(cell: CellDep, who: Reader, dispute: DisputeId) -> dict[str, Any]:
    """A dispute: accounts side by side, cited entries, findings, proposals, stages."""
    return queries.dispute_view(cell, who, dispute)


@router.get("/{dispute}/evidence")
def evidence(cell: CellDep, who: Reader, dispute: DisputeId) -> Response:
    """The dispute's evidence bundle for the caller's party: one JSON file that
    `fusioncell log verify FILE` checks offline (docs/log.md)."""
    bundle = queries.evidence(cell, who, dispute)
    data = json.dumps(bundle, ensure_ascii=False, indent=1).encode("utf-8")
    name = f"dispute-{dispute}-evidence-{who.party}.json"
    return Response(
        data,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
