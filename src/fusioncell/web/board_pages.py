"""The supervisor's board page: open clocks with time left, breaches, per-party figures and
a chart of time to acknowledge, drawn as SVG on the server (no script, no chart library)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.authz import Permission, Principal
from fusioncell.board.queries import DEFAULT_PERIOD, PERIODS, Board, read_board
from fusioncell.web.render import localized, page_language, render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, require(Permission.BOARD_READ)]

# The chart's geometry, in SVG user units; the viewBox scales it to the page.
WIDTH, ROW, BAR, LABEL = 600, 44, 14, 120


def duration(seconds: float | None) -> str:
    """A duration as h:mm:ss or m:ss (digits read alike in the three languages)."""
    if seconds is None:
        return "\u2013"  # an en dash: no figure
    s = round(seconds)
    h, rest = divmod(abs(s), 3600)
    m, sec = divmod(rest, 60)
    sign = "-" if s < 0 else ""
    return f"{sign}{h}:{m:02d}:{sec:02d}" if h else f"{sign}{m}:{sec:02d}"


def chart(b: Board) -> dict[str, Any]:
    """Bars per party: median and 90th percentile time to acknowledge, on one scale."""
    top = max([p.p90_s or 0 for p in b.parties] + [p.median_s or 0 for p in b.parties] + [1])
    scale = (WIDTH - LABEL - 60) / top
    rows = []
    for i, p in enumerate(b.parties):
        y = 10 + i * ROW
        rows.append(
            {
                "party": p.party,
                "y": y,
                "median_w": round((p.median_s or 0) * scale, 1),
                "p90_w": round((p.p90_s or 0) * scale, 1),
                "median": duration(p.median_s),
                "p90": duration(p.p90_s),
                "empty": p.median_s is None,
            }
        )
    return {
        "width": WIDTH,
        "height": 20 + ROW * len(rows),
        "label": LABEL,
        "bar": BAR,
        "rows": rows,
    }


@router.get("/board")
def board_page(
    request: Request,
    cell: CellDep,
    who: Reader,
    period: Annotated[str, Query(max_length=8)] = DEFAULT_PERIOD,
) -> Response:
    b = read_board(cell, who, period)
    lang = page_language(request)
    charter = cell.charter
    return render(
        request,
        "board.html",
        board=b,
        periods=list(PERIODS),
        chart=chart(b),
        duration=duration,
        zone=charter.party(who.party).timezone,
        party_names={p.code: localized(p.name, lang) for p in charter.parties},
        levels={u.level.value: localized(u.name, lang) for u in charter.urgency_levels},
    )
