"""Joint statements' JSON API (/api/v1/statements). Reads only: every write is a
statement the member's device signs and appends at /log/v1/append (docs/statements.md
lists the kinds). The PDF of an adopted statement is here too."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from fusioncell.api.deps import CellDep, require
from fusioncell.api.openapi import file_responses
from fusioncell.authz import Permission, Principal
from fusioncell.statements import kinds, pdf, queries
from fusioncell.web.render import page_language

router = APIRouter(prefix="/api/v1/statements", tags=["statements"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]
StatementId = Annotated[str, Path(pattern=kinds.STATEMENT_RE.pattern)]
Number = Annotated[int, Query(ge=1, le=2**31)]


@router.get("")
def statements(
    cell: CellDep, who: Reader, state: Annotated[str | None, Query(max_length=16)] = None
) -> dict[str, Any]:
    """The statements the caller's party may see, most recently active first."""
    return {"statements": queries.statements_list(cell, who, state)}


# Before "/{statement}", which would otherwise take "<id>.pdf" as an id.
@router.get(
    "/{statement}.pdf",
    response_class=Response,
    responses=file_responses(
        "application/pdf",
        errors={
            409: "The statement is not adopted yet.",
            503: "PDF export cannot run on this server (pango is missing).",
        },
    ),
)
def statement_pdf(
    request: Request,
    cell: CellDep,
    who: Reader,
    statement: StatementId,
    lang: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """An adopted statement as a PDF (409 for a draft, 503 where PDF export cannot run)."""
    headings = lang if lang in cell.charter.languages else page_language(request)
    data = pdf.statement_pdf(cell, who, statement, headings)
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="statement-{statement}.pdf"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-cache",
        },
    )


@router.get("/{statement}")
def statement(cell: CellDep, who: Reader, statement: StatementId) -> dict[str, Any]:
    """A statement with every version, the comments, the approvals, and its state."""
    return queries.statement_view(cell, who, statement)


@router.get("/{statement}/diff")
def statement_diff(
    cell: CellDep, who: Reader, statement: StatementId, a: Number, b: Number
) -> dict[str, Any]:
    """Versions `a` and `b`, word by word, per language."""
    return queries.statement_diff(cell, who, statement, a, b)
