"""Commercial opportunities' JSON API (/api/v1/commerce). Reads only: every write is a
statement the member's device signs and appends at /log/v1/append (docs/commerce.md lists
the kinds); documents are uploaded first at /api/v1/cell/attachments."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.api.openapi import file_responses
from fusioncell.authz import Permission, Principal
from fusioncell.commerce import kinds, queries
from fusioncell.errors import N_, Invalid

router = APIRouter(prefix="/api/v1/commerce", tags=["commerce"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]
ProposalId = Annotated[str, Path(pattern=kinds.PROPOSAL_RE.pattern)]


@router.get("/proposals")
def proposals(
    cell: CellDep,
    who: Reader,
    stage: Annotated[str | None, Query(max_length=24)] = None,
    sector: Annotated[str | None, Query(max_length=16)] = None,
) -> dict[str, Any]:
    """The proposals the caller's party may see, most recently active first."""
    return {"proposals": queries.proposals(cell, who, stage, sector)}


@router.get("/proposals/{proposal}")
def proposal(cell: CellDep, who: Reader, proposal: ProposalId) -> dict[str, Any]:
    """A proposal with every version, the parties' interest and its stages."""
    return queries.proposal_view(cell, who, proposal)


@router.get(
    "/proposals/{proposal}/documents/{sha256}",
    response_class=Response,
    responses=file_responses("*/*"),
)
def document(
    cell: CellDep,
    who: Reader,
    proposal: ProposalId,
    sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
    name: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    data, mime = queries.document(cell, who, proposal, sha256)
    filename = name or sha256
    if any(ord(c) < 32 for c in filename):
        raise Invalid(N_("a file name holds control characters"))
    return Response(
        data,
        media_type=mime,
        headers={
            # Always a download, never rendered in the cell's origin.
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=86400, immutable",
        },
    )
