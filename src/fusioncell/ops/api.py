"""GET /healthz, /readyz and /metrics: for the operator's tools, not for members.

None reads a session or a cookie or checks CSRF (they are GETs that change nothing), and
none is in the OpenAPI document of the members' API. Their one declared permission is
`public:read` (no member role is needed); /metrics then applies the operator's own rule:
a loopback caller that came through no proxy, or the metrics token. Anyone else gets the
same 404 as a path that does not exist.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection

from fusioncell.api.deps import Requires, get_cell
from fusioncell.authz import Permission
from fusioncell.ops import metrics
from fusioncell.ops.probe import Prober

router = APIRouter(tags=["operations"], include_in_schema=False)

# A proxy in front adds one of these: the request then did not come from this machine,
# whatever the socket's address says (a proxy on the same host connects from 127.0.0.1).
PROXY_HEADERS = (b"forwarded", b"x-forwarded-for", b"x-real-ip")


class Anyone(Requires):
    """No member needed, and nothing read to find out who is asking."""

    def __init__(self) -> None:
        super().__init__(Permission.PUBLIC)

    async def __call__(  # type: ignore[override]
        self, request: HTTPConnection, authorization: Annotated[str | None, Header()] = None
    ) -> None:
        return None


ANYONE = Depends(Anyone())


def loopback(request: HTTPConnection) -> bool:
    """Did this request come from this machine, not relayed by a proxy?"""
    if any(k in PROXY_HEADERS for k, _ in request.scope.get("headers", [])):
        return False
    client = request.client
    if client is None:
        return False
    try:
        return ipaddress.ip_address(client.host).is_loopback
    except ValueError:
        return False  # a unix socket's or a test client's name: not an address


def operator(request: HTTPConnection, authorization: str | None) -> bool:
    s = get_cell(request).settings
    if s.metrics_loopback and loopback(request):
        return True
    token = s.metrics_token.get_secret_value() if s.metrics_token is not None else ""
    scheme, _, given = (authorization or "").partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), token.encode())
    )


@router.get("/healthz", dependencies=[ANYONE])
async def healthz() -> JSONResponse:
    """The process is up and answering (nothing else is checked: no database)."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz", dependencies=[ANYONE])
async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers, its schema is this program's, the log reads."""
    prober: Prober = request.app.state.prober
    result = await anyio.to_thread.run_sync(prober.ready)
    return JSONResponse(result.body(), status_code=200 if result.ok else 503)


@router.get("/metrics", dependencies=[ANYONE])
async def metrics_endpoint(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Response:
    """Prometheus text exposition (docs/operations.md): for the operator only."""
    if not operator(request, authorization):
        raise StarletteHTTPException(404)  # exactly what a missing path answers
    registry = request.app.state.metrics_registry
    body = await anyio.to_thread.run_sync(metrics.render, registry)
    return Response(body, media_type=metrics.CONTENT_TYPE_LATEST)
