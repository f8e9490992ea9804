"""create_app: the one FastAPI application (API, log endpoints, pages)."""

from __future__ import annotations

from fastapi import FastAPI

from fusioncell import __version__
from fusioncell.api import errors
from fusioncell.api import log as log_api
from fusioncell.api.limits import BodyLimit
from fusioncell.cell import Cell


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
    app.add_middleware(BodyLimit, max_bytes=cell.settings.max_body_bytes)
    return app
