"""GET /api/v1/board: the supervisor's board as JSON (the page shows the same figures)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.board.queries import DEFAULT_PERIOD, read_board
from fusioncell.clock import rfc3339

router = APIRouter(prefix="/api/v1", tags=["board"])

Reader = Annotated[Principal, require(Permission.BOARD_READ)]


@router.get("/board")
def board(
    cell: CellDep,
    who: Reader,
    period: Annotated[str, Query(max_length=8, description="24h, 7d or 30d")] = DEFAULT_PERIOD,
) -> dict[str, Any]:
    """Every open clock the caller may see (overdue first; the first 200 listed, all
    counted) and, per party over the period, time to acknowledge, line checks, breaches."""
    b = read_board(cell, who, period)
    return {
        "now": rfc3339(b.now),
        "period": b.period,
        "since": rfc3339(b.since),
        "open": {"total": b.open_total, "overdue": b.overdue_total, "by_kind": b.open_by_kind},
        "clocks": [asdict(c) for c in b.clocks],
        "parties": [asdict(p) for p in b.parties],
    }
