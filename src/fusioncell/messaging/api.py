"""The cell's JSON API (/api/v1/cell). Reads are here; every write is a statement the
member's device signs and appends at /log/v1/append (docs/messaging.md lists the kinds).
Files and read receipts, which are not log entries, are posted here."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from fusioncell.api.deps import CellDep, require
from fusioncell.api.limits import MAX_INT
from fusioncell.api.openapi import file_responses
from fusioncell.authz import Permission, Principal
from fusioncell.errors import N_, Invalid
from fusioncell.messaging import attachments, queries, receipts
from fusioncell.messaging.kinds import THREAD_RE

router = APIRouter(prefix="/api/v1/cell", tags=["cell"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]
Writer = Annotated[Principal, require(Permission.LOG_APPEND)]
ThreadId = Annotated[str, Path(pattern=THREAD_RE.pattern)]


@router.get("/threads")
def threads(
    cell: CellDep, who: Reader, workstream: Annotated[str | None, Query(max_length=32)] = None
) -> dict[str, Any]:
    """The member's inbox: threads they may see, those owing an acknowledgement first."""
    return {"threads": queries.inbox(cell, who, workstream)}


@router.get("/threads/{thread}")
def thread(
    cell: CellDep,
    who: Reader,
    thread: ThreadId,
    q: Annotated[str | None, Query(max_length=200)] = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
) -> dict[str, Any]:
    """A thread, its messages with every version, acknowledgements and receipts; `q`
    searches the thread."""
    return queries.thread_view(cell, who, thread, q, before)


@router.get("/threads/{thread}/messages/{index}")
def message(
    cell: CellDep, who: Reader, thread: ThreadId, index: Annotated[int, Path(ge=0, le=MAX_INT)]
) -> dict[str, Any]:
    return queries.message_view(cell, who, thread, index)


class ReadIn(BaseModel):
    upto: int = Field(
        ge=0, le=MAX_INT, description="the newest log index of the thread now on screen"
    )


@router.post("/threads/{thread}/read", status_code=204)
def read(cell: CellDep, who: Reader, thread: ThreadId, body: ReadIn) -> None:
    """Read receipts: everything in the thread up to `upto` has been on screen."""
    receipts.mark_read(cell, who, thread, body.upto)


@router.get("/owed")
def owed(
    cell: CellDep,
    who: Reader,
    urgency: Annotated[list[str] | None, Query(max_length=8)] = None,
) -> dict[str, Any]:
    """Messages waiting for the caller's party to acknowledge them, most urgent first."""
    return {"messages": queries.owed(cell, who, tuple(urgency) if urgency else None)}


@router.post("/attachments", status_code=201)
async def upload(cell: CellDep, who: Writer, file: UploadFile) -> dict[str, Any]:
    """Upload a file before naming it in a message (multipart, field `file`)."""
    data = await file.read(cell.settings.max_attachment_bytes + 1)
    stored = await run_in_threadpool(attachments.upload, cell, who, data)
    return stored.to_json()


@router.get("/attachments/{sha256}", response_class=Response, responses=file_responses("*/*"))
def download(
    request: Request,
    cell: CellDep,
    who: Reader,
    sha256: str,
    name: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    data, mime = attachments.download(cell, who, sha256)
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
