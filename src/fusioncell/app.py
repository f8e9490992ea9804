"""create_app: the one FastAPI application (pages, JSON API, the log's endpoints)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from fusioncell import __version__
from fusioncell.api import errors, v1
from fusioncell.api import log as log_api
from fusioncell.api.limits import BodyLimit
from fusioncell.cell import Cell
from fusioncell.messaging import api as cell_api
from fusioncell.web import admin, views
from fusioncell.web.security import SecurityHeaders

STATIC = Path(__file__).parent / "web" / "static"


def create_app(cell: Cell) -> FastAPI:
    app = FastAPI(
        title="fusioncell",
        version=__version__,
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.cell = cell
    errors.install(app)
    app.include_router(log_api.router)
    app.include_router(v1.router)
    app.include_router(cell_api.router)
    app.include_router(views.router)
    app.include_router(admin.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(BodyLimit, max_bytes=cell.settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, hsts=cell.settings.hsts)
    return app
