"""Every error becomes a clear answer here, in one place: problem+json, no 500 for bad input."""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Mapping
from contextlib import suppress

import psycopg
from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.websockets import WebSocketDisconnect, WebSocketState

from fusioncell.errors import N_, DomainError, InsufficientStorage, Unavailable

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"


RETRY_AFTER_S = 5  # what a 503 or 507 asks the client to wait before sending it again


def problem(status: int, code: str, detail: str, **extra: object) -> JSONResponse:
    body: dict[str, object] = {"type": "about:blank", "title": code, "status": status}
    body["detail"] = detail
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status in (503, 507):
        headers = {"Retry-After": str(RETRY_AFTER_S)}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


# ---- the database or the disk failing under us (docs/reliability.md) ---------------------

DISK_FULL = N_("the server's disk is full: nothing was written; try again later")
DB_UNAVAILABLE = N_("the database is unavailable for a moment; send the same request again")
STORAGE_FAILED = N_(
    "the server could not read or write its storage: nothing was done; try again later"
)
# SQLite's primary result codes (the low byte of the extended code) that say "not now"
# rather than "wrong": busy, locked, out of memory, read-only, I/O error, cannot open.
_SQLITE_FULL = 13
_SQLITE_IOERR = 10
_SQLITE_NOT_NOW = frozenset({5, 6, 7, 8, 14, 15})
# PostgreSQL's SQLSTATE classes of the same kind: connection exception, insufficient
# resources, operator intervention (shutdown, restart), transaction rollback; and its
# system errors (58: an I/O error on its files).
_PG_NOT_NOW = ("08", "53", "57", "40")
_PG_SYSTEM = "58"
_PG_DISK_FULL = "53100"
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def storage_error(exc: BaseException) -> DomainError | None:
    """What a database or file system failure means to the caller: 507 when the disk is
    full, 503 when the database is away or busy (restarting, unreachable, locked); None
    for anything else, which stays a bug (500). The transaction was rolled back, so
    nothing was written, unless the connection broke during the COMMIT itself: then the
    write may have happened, and an append sent again is refused as already in the log
    (409), never written twice."""
    if isinstance(exc, PoolTimeout):
        return Unavailable(DB_UNAVAILABLE)
    if isinstance(exc, OSError):
        return InsufficientStorage(DISK_FULL) if exc.errno in _FULL_ERRNOS else None
    if not isinstance(exc, DBAPIError):
        return None
    what = _sqlite_trouble(exc.orig) or _pg_trouble(exc.orig)
    if what is None and exc.connection_invalidated:
        what = DB_UNAVAILABLE
    if what is None:
        return None
    return InsufficientStorage(what) if what == DISK_FULL else Unavailable(what)


def _sqlite_trouble(orig: BaseException | None) -> str | None:
    if not isinstance(orig, sqlite3.Error):
        return None
    code = (getattr(orig, "sqlite_errorcode", 0) or 0) & 0xFF
    if code == _SQLITE_FULL:
        return DISK_FULL
    if code == _SQLITE_IOERR:
        return STORAGE_FAILED
    return DB_UNAVAILABLE if code in _SQLITE_NOT_NOW else None


def _pg_trouble(orig: BaseException | None) -> str | None:
    if not isinstance(orig, psycopg.Error):
        return None
    state = orig.sqlstate
    if state == _PG_DISK_FULL:
        return DISK_FULL
    if state is not None and state.startswith(_PG_SYSTEM):
        return STORAGE_FAILED
    if state is None:
        # No SQLSTATE: the client library's own failure (refused, reset, closed).
        gone = isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError)
        return DB_UNAVAILABLE if gone else None
    return DB_UNAVAILABLE if state.startswith(_PG_NOT_NOW) else None


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/log/"))


def _page(
    request: Request, status: int, message: str, params: Mapping[str, object] | None = None
) -> Response:
    """Errors on pages are pages, in the reader's language; signing in is a redirect.
    `message` is the English msgid, `params` its values (see fusioncell.errors)."""
    from urllib.parse import quote

    from fusioncell.web.labels import ERROR_TITLE, STATUS_TITLES
    from fusioncell.web.render import page_message, render

    if status == 401:
        nxt = request.url.path if request.method == "GET" else "/"
        return RedirectResponse(f"/signin?next={quote(nxt)}", status_code=303)
    english = message % params if params else message
    try:
        return render(
            request,
            "error.html",
            status=status,
            title=page_message(request, STATUS_TITLES.get(status, ERROR_TITLE)),
            message=page_message(request, message, params),
        )
    except Exception:
        log.exception("error page failed")
        return PlainTextResponse(english, status_code=status)


def ws_close_code(status: int) -> int:
    """A WebSocket's close code for an HTTP status: 4000 + status (4400, 4401, 4403)."""
    return 4000 + status if 400 <= status < 1000 else 1011


async def close_websocket(ws: WebSocket, status: int, reason: str) -> None:
    """Refuse a WebSocket after accepting it, with 4000 + status and the reason: a refused
    handshake tells a browser's script nothing but that it failed."""
    with suppress(WebSocketDisconnect, OSError):  # the client left already: nothing to tell
        if ws.application_state == WebSocketState.CONNECTING:
            await ws.accept()
        if ws.application_state == WebSocketState.CONNECTED:
            # A close reason is at most 123 bytes of UTF-8.
            short = reason.encode()[:123].decode(errors="ignore")
            await ws.close(ws_close_code(status), short)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response | None:
        if isinstance(request, WebSocket):  # Starlette hands WebSockets' errors here too
            await close_websocket(request, exc.status, exc.message)
            return None
        if not _wants_json(request):
            return _page(request, exc.status, exc.template, exc.params)
        return problem(exc.status, exc.code, exc.message)

    async def _storage(request: Request, exc: Exception) -> Response | None:
        mapped = storage_error(exc)
        if mapped is None:
            raise exc  # not the storage failing: a bug, answered 500 below
        # One line, not a traceback: an outage is not a bug, and a restart of the database
        # under load would otherwise fill the log. The driver's first line names the cause
        # (never a statement's parameters: bodies stay out of the log).
        cause = exc.orig if isinstance(exc, DBAPIError) else exc
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        log.warning("%s %s: %s (%s)", mapped.status, mapped.code, type(cause).__name__, first)
        return await _domain(request, mapped)

    # Registered by class, not caught in the 500 handler: WebSockets reach these too.
    for cls in (DBAPIError, PoolTimeout, OSError):
        app.add_exception_handler(cls, _storage)  # type: ignore[arg-type]

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(x) for x in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
        if not _wants_json(request):
            return _page(request, 400, detail)
        return problem(400, "invalid", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not _wants_json(request):
            return _page(request, exc.status_code, str(exc.detail))
        return problem(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return problem(500, "internal", "an unexpected error occurred; it has been logged")
