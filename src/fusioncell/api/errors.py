"""Every error becomes a clear answer here, in one place: problem+json, no 500 for bad input."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import suppress

from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.websockets import WebSocketDisconnect, WebSocketState

from fusioncell.errors import DomainError

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"


def problem(status: int, code: str, detail: str, **extra: object) -> JSONResponse:
    body: dict[str, object] = {"type": "about:blank", "title": code, "status": status}
    body["detail"] = detail
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


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
