"""create_app: the one FastAPI application (pages, JSON API, the log's endpoints)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from fusioncell import __version__
from fusioncell.api import errors, v1
from fusioncell.api import log as log_api
from fusioncell.api import openapi as openapi_doc
from fusioncell.api.limits import BodyLimit
from fusioncell.board import api as board_api
from fusioncell.cell import Cell
from fusioncell.commerce import api as commerce_api
from fusioncell.deadlines.engine import DeadlineEngine
from fusioncell.deesc import api as deesc_api
from fusioncell.diplomacy import api as diplomacy_api
from fusioncell.disputes import agenda as _dispute_agenda  # noqa: F401 - on diplomacy agendas
from fusioncell.disputes import api as disputes_api
from fusioncell.duty import api as duty_api
from fusioncell.intel import api as intel_api
from fusioncell.language import api as language_api
from fusioncell.line import api as line_api
from fusioncell.live import Hub
from fusioncell.live import router as live_router
from fusioncell.messaging import api as cell_api
from fusioncell.messaging.receipts import DeliveryRecorder
from fusioncell.notify import api as notify_api
from fusioncell.notify.service import Notifications
from fusioncell.ops import api as ops_api
from fusioncell.ops import metrics
from fusioncell.ops.probe import Prober, cell_state
from fusioncell.ops.requests import RequestObserver
from fusioncell.search import api as search_api
from fusioncell.sitrep import api as sitrep_api
from fusioncell.statements import api as statements_api
from fusioncell.understandings import api as understandings_api
from fusioncell.web import (
    admin,
    board_pages,
    cell_pages,
    commerce_pages,
    deesc_pages,
    diplomacy_pages,
    disputes_pages,
    duty_pages,
    intel_pages,
    language_pages,
    line_pages,
    notify_pages,
    search_pages,
    sitrep_pages,
    statements_pages,
    understandings_pages,
    views,
)
from fusioncell.web.security import SecurityHeaders

STATIC = Path(__file__).parent / "web" / "static"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    hub: Hub = app.state.hub
    cell: Cell = app.state.cell
    receipts = DeliveryRecorder(cell)
    hub.on_delivered = receipts
    await hub.start()
    # Every server process starts one; only the holder of the engine lock acts.
    deadline_engine = DeadlineEngine(cell) if cell.settings.deadline_engine else None
    if deadline_engine is not None:
        deadline_engine.start()
    # Notifications (docs/notifications.md): the pages' live feed; the notifier acts only in
    # the process holding its lock (FUSIONCELL_NOTIFY_WORKER=false: never in this one).
    notifications = await Notifications.start(app, cell)
    try:
        yield
    finally:
        if deadline_engine is not None:
            await asyncio.to_thread(deadline_engine.stop)
        await notifications.stop()
        await hub.stop()
        receipts.close()
        app.state.prober.close()
        metrics.process_stopped()


def create_app(cell: Cell) -> FastAPI:
    app = FastAPI(
        title="fusioncell",
        version=__version__,
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.cell = cell
    app.state.hub = Hub(cell)  # the live stream; its deliveries become receipts (lifespan)
    # Operations (docs/operations.md): probes on connections of their own, and metrics
    # with the cell's state read at each scrape.
    app.state.prober = Prober(cell.engine.url.render_as_string(hide_password=False))
    app.state.metrics_registry = metrics.registry(metrics.CellCollector(lambda: cell_state(cell)))
    errors.install(app)
    openapi_doc.install(app)  # the document says what the API really answers
    app.include_router(log_api.router)
    app.include_router(v1.router)
    app.include_router(live_router)
    app.include_router(cell_api.router)
    app.include_router(duty_api.router)
    app.include_router(line_api.router)
    app.include_router(views.router)
    app.include_router(cell_pages.router)
    app.include_router(duty_pages.router)
    app.include_router(admin.router)
    app.include_router(board_api.router)
    app.include_router(board_pages.router)
    app.include_router(line_pages.router)
    app.include_router(notify_api.router)
    app.include_router(notify_pages.router)
    app.include_router(commerce_api.router)
    app.include_router(commerce_pages.router)
    app.include_router(intel_pages.router)
    app.include_router(deesc_api.router)
    app.include_router(deesc_pages.router)
    app.include_router(diplomacy_api.router)
    app.include_router(diplomacy_pages.router)
    app.include_router(disputes_api.router)
    app.include_router(disputes_pages.router)
    app.include_router(intel_api.router)
    app.include_router(language_api.router)
    app.include_router(language_pages.router)
    app.include_router(understandings_api.router)
    app.include_router(understandings_pages.router)
    app.include_router(statements_api.router)
    app.include_router(statements_pages.router)
    app.include_router(search_api.router)
    app.include_router(search_pages.router)
    app.include_router(sitrep_api.router)  # the situation report (docs/sitrep.md)
    app.include_router(sitrep_pages.router)
    app.include_router(ops_api.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(BodyLimit, max_bytes=cell.settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, hsts=cell.settings.hsts)
    # Last, so outermost: every answer gets its request id, metrics and log line.
    app.add_middleware(RequestObserver)
    return app
