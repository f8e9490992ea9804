"""The log's HTTP endpoints (shared/specs/log.md), under /log/v1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from fusioncell.api.deps import CellDep, get_cell, require
from fusioncell.authz import Permission, Principal
from fusioncell.authz.policy import check_author
from fusioncell.errors import Invalid
from fusioncell.intel.queries import record_body_reads
from fusioncell.ledger.canonical import EncodingError, b64d, b64e
from fusioncell.ledger.entry import parse_leaf, parse_submission

router = APIRouter(prefix="/log/v1", tags=["log"])

Reader = Annotated[Principal, require(Permission.LOG_READ)]
Writer = Annotated[Principal, require(Permission.LOG_APPEND)]
Cosigner = Annotated[Principal, require(Permission.LOG_COSIGN)]
Index = Annotated[int, Query(ge=0, le=2**62)]


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(cell: CellDep, _: Reader) -> str:
    return cell.ledger.checkpoint()


@router.get("/key", response_class=PlainTextResponse)
def key(cell: CellDep, _: Reader) -> str:
    """The log key in force (the charter's until a rotation)."""
    return cell.ledger.log_keys()[-1][1].encode() + "\n"


@router.get("/keys")
def keys(cell: CellDep, _: Reader) -> dict[str, Any]:
    """Every log key, oldest first, with the index of the entry that names it (0: the
    charter; else a log.key.rotated entry, which clients check before trusting the key)."""
    return {"keys": [{"index": i, "key": k.encode()} for i, k in cell.ledger.log_keys()]}


@router.get("/entries")
def entries(cell: CellDep, who: Reader, start: Index, end: Index) -> dict[str, Any]:
    out = cell.ledger.entries(start, end, who.party)
    # An intelligence report's body read here is an opening of it, recorded for its
    # originator like one on the report's page (docs/intelligence.md).
    record_body_reads(cell, who, _report_bodies(out), "log")
    return {"entries": out}


def _report_bodies(read: list[dict[str, Any]]) -> Iterator[tuple[int, str]]:
    for e in read:
        if isinstance(e["body"], dict) and "report" in e["body"]:
            yield e["index"], parse_leaf(b64d(e["entry"])).statement.kind


@router.get("/proof/inclusion")
def inclusion(cell: CellDep, _: Reader, index: Index, size: Index) -> dict[str, Any]:
    path = cell.ledger.inclusion_proof(index, size)
    return {"index": index, "size": size, "path": [b64e(h) for h in path]}


@router.get("/proof/consistency")
def consistency(cell: CellDep, _: Reader, old: Index, size: Index) -> dict[str, Any]:
    path = cell.ledger.consistency_proof(old, size)
    return {"old": old, "size": size, "path": [b64e(h) for h in path]}


async def _json_body(request: Request) -> Any:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise Invalid("send the statement as application/json")
    raw = await request.body()
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Invalid("request body is not valid UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise Invalid(f"request body is not valid JSON: {exc.msg} at {exc.pos}") from exc


@router.post("/append", status_code=201, response_class=JSONResponse)
async def append(request: Request, who: Writer) -> JSONResponse:
    """Append a statement signed by the caller's own key (fusioncell extension, docs/log.md)."""
    cell = get_cell(request)  # not a dependency: each costs FastAPI time on this hot path
    data = await _json_body(request)
    if not isinstance(data, dict) or set(data) != {"statement", "sig", "body"}:
        raise Invalid('send {"statement": base64, "sig": base64, "body": {...}}')
    try:
        sub = parse_submission(data["statement"], data["sig"], data["body"])
    except EncodingError as exc:
        raise Invalid(str(exc)) from exc
    check_author(who, sub.statement)
    # Bad input, not a refusal: the trust chain would refuse it too, but as a 403.
    unknown = set(sub.statement.visibility) - set(cell.charter.codes)
    if unknown:
        raise Invalid(f"visibility names unknown parties {', '.join(sorted(unknown))}")
    ledger = cell.ledger
    if not ledger.ring_loaded:
        await run_in_threadpool(ledger.ring_snapshot)  # once per process: a database read
    # On the event loop, not in the threadpool: submit_async only verifies the signature
    # (tens of microseconds) and queues the append for the committer; the hop to a worker
    # thread and back cost more than that. The answer still waits for the commit.
    done = await asyncio.wrap_future(ledger.submit_async(sub))
    # A ready JSONResponse: FastAPI's encoding of a returned dict is needless work here.
    return JSONResponse(
        {
            "index": done.index,
            "leaf_hash": b64e(done.leaf_hash),
            "size": done.size,
            "checkpoint": done.checkpoint,
        },
        status_code=201,
    )


@router.post("/cosignature", status_code=201)
async def cosignature(request: Request, cell: CellDep, who: Cosigner) -> dict[str, Any]:
    """A witness posts the checkpoint it verified, cosigned (text/plain, a signed note)."""
    raw = await request.body()
    try:
        note = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid("cosigned checkpoint is not valid UTF-8") from exc
    stored = await run_in_threadpool(cell.ledger.add_cosignatures, note, who.member)
    return {"stored": stored}
