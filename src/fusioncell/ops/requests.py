"""Every HTTP request: an id (X-Request-Id), its metrics, and its log line.

The outermost middleware, so it sees every answer, also those of the body-size limit and
of errors. The route is the template the router matched (`/api/v1/cell/threads/{thread}`),
read from the scope after routing: never the raw path, whose ids would make one series
per thread in Prometheus and whose invitation links hold secrets.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fusioncell.ops import logs, metrics

log = logging.getLogger(logs.REQUEST_LOGGER)

UNMATCHED = "unmatched"  # no route: one label for every unknown path
# An id a proxy in front already gave the request is kept (one id across both logs);
# anything else is replaced, so a client cannot write what it likes into the log.
_GIVEN_ID = re.compile(rb"[A-Za-z0-9._\-]{8,64}")
# Probes, scrapes and our own assets: DEBUG when they succeed, so they do not drown the
# lines that matter at INFO.
_QUIET = ("/healthz", "/readyz", "/metrics", "/static")
# Any other method is one label too: a client cannot mint series by inventing methods.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


def _principal(scope: Scope) -> Any:
    state = scope.get("state")
    return state.get("principal") if isinstance(state, dict) else None


class RequestObserver:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = next((v.decode() for k, v in scope.get("headers", []) if k == b"x-request-id"), None)
        if rid is None or not _GIVEN_ID.fullmatch(rid.encode()):
            rid = uuid.uuid4().hex
        status = 500  # what the server answers if the app raises before starting one

        async def observed(msg: Message) -> None:
            nonlocal status
            if msg["type"] == "http.response.start":
                status = int(msg["status"])
                headers = [(k, v) for k, v in msg.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode()))
                msg = {**msg, "headers": headers}
            await send(msg)

        token = logs.request_id.set(rid)
        try:
            await self.app(scope, receive, observed)
        finally:
            self._done(scope, rid, status, time.perf_counter() - start)
            logs.request_id.reset(token)

    @staticmethod
    def _done(scope: Scope, rid: str, status: int, seconds: float) -> None:
        method = str(scope.get("method", "GET"))
        method = method if method in METHODS else "other"
        route = route_template(scope)
        metrics.HTTP_REQUESTS.labels(method, route, str(status)).inc()
        metrics.HTTP_SECONDS.labels(method, route, f"{status // 100}xx").observe(seconds)
        quiet = status < 400 and route.startswith(_QUIET)
        level = logging.DEBUG if quiet else logging.INFO
        if not log.isEnabledFor(level):
            return
        who = _principal(scope)
        log.log(
            level,
            "%s %s %d",
            method,
            route,
            status,
            extra={
                "request_id": rid,
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "party": getattr(who, "party", None),
                "member": getattr(who, "member", None),
            },
        )
