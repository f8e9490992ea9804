"""Every route declares exactly one permission (design: one place decides)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute

from fusioncell.api.deps import Requires
from fusioncell.app import create_app
from fusioncell.cell import Cell

# Routes FastAPI itself adds, and static assets; they carry no data of the cell.
FRAMEWORK = {"/api/openapi.json", "/static"}  # static: our own css/js, public by nature


def _requirements(dep: Dependant) -> list[Requires]:
    found = [dep.call] if isinstance(dep.call, Requires) else []
    for sub in dep.dependencies:
        found.extend(_requirements(sub))
    return found


def _walk(routes: list[Any]) -> Iterator[Any]:
    """Every endpoint, through included routers (FastAPI nests them)."""
    for r in routes:
        inner = getattr(r, "original_router", None)
        if inner is not None:
            yield from _walk(inner.routes)
        else:
            yield r


def test_every_route_declares_one_permission(cell: Cell) -> None:
    app = create_app(cell)
    checked = 0
    for route in _walk(app.routes):
        if getattr(route, "path", None) in FRAMEWORK:
            continue
        assert isinstance(route, APIRoute | APIWebSocketRoute), (
            f"{route} is not an API route with a permission"
        )
        reqs = _requirements(route.dependant)
        assert len(reqs) == 1, f"{route.path} declares {len(reqs)} permissions"
        checked += 1
    assert checked >= 7


def test_openapi_lists_the_log(cell: Cell) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(cell)) as c:
        spec = c.get("/api/openapi.json").json()
    assert "/log/v1/checkpoint" in spec["paths"]
    assert "/log/v1/append" in spec["paths"]
