"""Intelligence sharing's JSON API (/api/v1/intel). Reads only: every write is a statement
the member's device signs and appends at /log/v1/append (docs/intelligence.md lists the
kinds). Reading a report's body, or exporting it, records the opening."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.api.openapi import file_responses
from fusioncell.authz import Permission, Principal
from fusioncell.intel import queries
from fusioncell.intel.kinds import ID_RE
from fusioncell.messaging.kinds import SHA256_RE

router = APIRouter(prefix="/api/v1/intel", tags=["intel"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]
Id = Annotated[str, Path(pattern=ID_RE.pattern)]
Sha = Annotated[str, Path(pattern=SHA256_RE.pattern)]


@router.get("/reports")
def reports(cell: CellDep, who: Reader) -> dict[str, Any]:
    """Reports the caller's party may read in full, and those of which it has only the
    tear line (`withheld: true`)."""
    return {"reports": queries.reports(cell, who)}


@router.get("/reports/{report}")
def report(cell: CellDep, who: Reader, report: Id) -> dict[str, Any]:
    """A report's head, versions, releases and assessments (no body), or its tear line."""
    return queries.report(cell, who, report)


@router.get("/reports/{report}/body")
def body(cell: CellDep, who: Reader, report: Id) -> dict[str, Any]:
    """Every version of the report in full. The opening is recorded for the originator."""
    return queries.open_body(cell, who, report)


@router.get("/reports/{report}/openings")
def openings(cell: CellDep, who: Reader, report: Id) -> dict[str, Any]:
    """Who opened the body, and when: for the originating party only."""
    return {"openings": queries.openings(cell, who, report)}


@router.get(
    "/reports/{report}/stix",
    response_class=Response,
    responses=file_responses("application/stix+json"),
)
def stix(cell: CellDep, who: Reader, report: Id) -> Response:
    """The report as a STIX 2.1 bundle, releasability as marking definitions."""
    data = queries.stix_bundle(cell, who, report)
    return Response(
        data,
        media_type="application/stix+json;version=2.1",
        headers={"Content-Disposition": f'attachment; filename="{report}.stix.json"'},
    )


@router.get(
    "/reports/{report}/files/{sha256}", response_class=Response, responses=file_responses("*/*")
)
def file(cell: CellDep, who: Reader, report: Id, sha256: Sha) -> Response:
    """A file attached to the report (recorded as an opening); always a download."""
    data, mime = queries.open_file(cell, who, report, sha256)
    return Response(
        data,
        media_type=mime,
        headers={
            "Content-Disposition": f'attachment; filename="{sha256}"',
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/rfis")
def rfis(cell: CellDep, who: Reader) -> dict[str, Any]:
    """Requests for information between the caller's party and another (all of them for
    the supervisor), with their status: open, overdue, answered."""
    return {"rfis": queries.rfis(cell, who)}


@router.get("/rfis/{rfi}")
def rfi(cell: CellDep, who: Reader, rfi: Id) -> dict[str, Any]:
    return queries.rfi(cell, who, rfi)
