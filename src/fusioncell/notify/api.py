"""Notifications over HTTP (/api/v1/notifications, /api/v1/notify): a member's web
notifications (and their live feed, a WebSocket), their channels and webhook; a party
admin's webhooks and failed deliveries. None of this is in the log: it is what this server
sends, and to whom."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, WebSocket
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect

from fusioncell.api.deps import CellDep, Requires, require
from fusioncell.api.errors import close_websocket
from fusioncell.api.limits import MAX_INT
from fusioncell.authz import Permission, Principal
from fusioncell.cell import Cell
from fusioncell.errors import N_, DomainError, Invalid
from fusioncell.notify import feed as feeds
from fusioncell.notify import outbox, prefs, queries
from fusioncell.notify.feed import Feed

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["notifications"])

Reader = Annotated[Principal, require(Permission.CELL_READ)]
Self = Annotated[Principal, require(Permission.PROFILE_MANAGE)]
Admin = Annotated[Principal, require(Permission.NOTIFY_MANAGE)]
READ = Requires(Permission.CELL_READ)
LIVE_HEARTBEAT = 15.0
HookId = Annotated[str, Path(max_length=16)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- a member's web notifications ---------------------------------------------------------


@router.get("/notifications")
def notifications(
    cell: CellDep,
    who: Reader,
    after: Annotated[int | None, Query(ge=0, le=MAX_INT)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    lang: Annotated[str | None, Query(max_length=8)] = None,
) -> dict[str, Any]:
    """The member's web notifications in words (newest first; with `after`, those after
    that id, oldest first), the unread count and the newest id."""
    language = queries.reader_language(cell, who, lang)
    items = queries.web_items(cell, who, language, after=after, limit=limit)
    unread, newest = queries.counts(cell, who)
    return {"notifications": items, "unread": unread, "newest": newest, "lang": language}


class ReadIn(_Strict):
    upto: int | None = Field(default=None, ge=0, le=MAX_INT, description="every one up to this id")
    id: int | None = Field(default=None, ge=0, le=MAX_INT, description="this one")


@router.post("/notifications/read")
def read(cell: CellDep, who: Reader, body: ReadIn) -> dict[str, Any]:
    """Mark web notifications read: one (`id`) or all up to `upto`."""
    if (body.id is None) == (body.upto is None):
        raise Invalid(N_("say which: id, or upto"))
    n = outbox.mark_read(cell, who.member, upto=body.upto, one=body.id)
    feeds.bump()  # the member's other pages update their count at once
    unread, _ = queries.counts(cell, who)
    return {"marked": n, "unread": unread}


@router.websocket("/notifications/live")
async def live(websocket: WebSocket, who: Annotated[Principal, Depends(READ)]) -> None:
    """The member's new web notifications as they are written: `notification` frames
    (after `after`, or from now), `ready`, then `heartbeat`s with the unread count."""
    cell: Cell = websocket.app.state.cell
    raw_after = websocket.query_params.get("after")
    after: int | None = None
    if raw_after is not None:
        if not raw_after.isdigit() or len(raw_after) > 15:
            raise Invalid(N_("after must be a notification id: a whole number, 0 or more"))
        after = int(raw_after)
    lang = queries.reader_language(cell, who, websocket.query_params.get("lang"))
    await websocket.accept()
    await _Live(cell, websocket, who, lang, after).run()


class _Live:
    def __init__(
        self, cell: Cell, ws: WebSocket, who: Principal, lang: str, after: int | None
    ) -> None:
        self.cell = cell
        self.ws = ws
        self.who = who
        self.lang = lang
        self.after = after
        self.feed: Feed | None = getattr(ws.app.state, "notify_feed", None)
        self._mark: asyncio.Event | None = None

    async def run(self) -> None:
        feeder = asyncio.create_task(self._feed())
        watcher = asyncio.create_task(self._watch())
        try:
            await asyncio.wait({feeder, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (feeder, watcher):
                t.cancel()
            await asyncio.gather(feeder, watcher, return_exceptions=True)
        exc = None if feeder.cancelled() else feeder.exception()
        if isinstance(exc, DomainError):  # the heartbeat's check: a session ended, ...
            await close_websocket(self.ws, exc.status, exc.message)
        elif exc is not None and not isinstance(exc, WebSocketDisconnect | OSError):
            log.error("notifications: a live feed failed", exc_info=exc)
            with contextlib.suppress(WebSocketDisconnect, OSError, RuntimeError):
                await self.ws.close(1011, "server error: reconnect")

    async def _watch(self) -> None:
        while True:
            msg = await self.ws.receive()
            if msg["type"] == "websocket.disconnect":
                return

    async def _send_new(self) -> tuple[int, int]:
        mark = self.feed.mark() if self.feed is not None else None
        unread, newest = await run_in_threadpool(queries.counts, self.cell, self.who)
        if self.after is None:
            self.after = newest
        while self.after < newest:
            items = await run_in_threadpool(
                queries.web_items, self.cell, self.who, self.lang, after=self.after, limit=50
            )
            if not items:
                break
            for it in items:
                await self.ws.send_json({"type": "notification", **it})
                self.after = it["id"]
        self._mark = mark
        return unread, newest

    async def _feed(self) -> None:
        unread, newest = await self._send_new()
        await self.ws.send_json({"type": "ready", "unread": unread, "newest": newest})
        loop = asyncio.get_running_loop()
        beat = loop.time() + LIVE_HEARTBEAT
        while True:
            left = beat - loop.time()
            if self.feed is not None:
                await self.feed.wait(self._mark, left)
            else:
                await asyncio.sleep(min(left, 1.0))
            before = unread
            unread, newest = await self._send_new()
            if loop.time() >= beat:
                with contextlib.suppress(AttributeError, KeyError):
                    del self.ws.state.session  # ask again: a session ended ends the feed
                await READ(self.ws, self.ws.headers.get("authorization"))
                await self.ws.send_json({"type": "heartbeat", "unread": unread, "newest": newest})
                beat = loop.time() + LIVE_HEARTBEAT
            elif unread != before:
                await self.ws.send_json({"type": "unread", "unread": unread, "newest": newest})


# ---- a member's channels and webhook -----------------------------------------------------------


def _settings_json(cell: Cell, s: prefs.MemberSettings) -> dict[str, Any]:
    return {**s.to_json(), "offered": sorted(prefs.available(cell.settings))}


@router.get("/notify/settings")
def get_settings(cell: CellDep, who: Self) -> dict[str, Any]:
    """The member's address, channels per urgency, webhook (without its secret), and the
    channels this cell offers."""
    return _settings_json(cell, prefs.get_settings(cell, who))


class SettingsIn(_Strict):
    email: str | None = Field(default=None, max_length=400, description="empty or null: none")
    channels: dict[str, list[str]] | None = Field(
        default=None, description='{"IMMEDIATE": ["web", "email"], ...}; FLASH goes everywhere'
    )


@router.put("/notify/settings")
def put_settings(cell: CellDep, who: Self, body: SettingsIn) -> dict[str, Any]:
    """Change the address and/or the channels (what is left out stays)."""
    given = body.model_fields_set
    s = prefs.do_set_settings(
        cell,
        who,
        email=body.email if "email" in given else ...,
        channels=body.channels if "channels" in given and body.channels is not None else ...,
    )
    return _settings_json(cell, s)


class WebhookIn(_Strict):
    url: str = Field(max_length=prefs.MAX_URL + 100)


@router.put("/notify/webhook", status_code=201)
def put_webhook(cell: CellDep, who: Self, body: WebhookIn) -> dict[str, Any]:
    """Set the member's webhook (replacing any); the answer holds its secret, this once."""
    hook, secret = prefs.do_set_webhook(cell, who, body.url)
    return {"webhook": hook.to_json(), "secret": secret}


@router.delete("/notify/webhook", status_code=204)
def delete_webhook(cell: CellDep, who: Self) -> Response:
    prefs.do_delete_webhook(cell, who)
    return Response(status_code=204)


# ---- a party's webhooks and deliveries (its admin) -----------------------------------------------


@router.get("/notify/party/webhooks")
def party_webhooks(cell: CellDep, who: Admin) -> dict[str, Any]:
    return {"webhooks": [h.to_json() for h in prefs.party_webhooks(cell, who)]}


class PartyWebhookIn(_Strict):
    url: str = Field(max_length=prefs.MAX_URL + 100)
    label: str | None = Field(default=None, max_length=prefs.MAX_LABEL + 100)
    urgencies: list[str] | None = Field(default=None, max_length=8)


@router.post("/notify/party/webhooks", status_code=201)
def add_party_webhook(cell: CellDep, who: Admin, body: PartyWebhookIn) -> dict[str, Any]:
    """A webhook of the admin's party; the answer holds its secret, this once."""
    hook, secret = prefs.do_add_party_webhook(cell, who, body.url, body.label, body.urgencies)
    return {"webhook": hook.to_json(), "secret": secret}


@router.delete("/notify/party/webhooks/{hook}", status_code=204)
def delete_party_webhook(cell: CellDep, who: Admin, hook: HookId) -> Response:
    prefs.do_delete_party_webhook(cell, who, hook)
    return Response(status_code=204)


@router.get("/notify/party/deliveries")
def party_deliveries(
    cell: CellDep,
    who: Admin,
    state: Literal["pending", "sent", "failed"] | None = None,
) -> dict[str, Any]:
    """E-mails and webhooks to the admin's party and its members, newest first."""
    return {"deliveries": queries.party_deliveries(cell, who, state)}


@router.post("/notify/party/deliveries/{delivery}/retry")
def retry_delivery(
    cell: CellDep, who: Admin, delivery: Annotated[int, Path(ge=0, le=MAX_INT)]
) -> dict[str, Any]:
    """Try a failed delivery again, with a fresh set of attempts."""
    return {"retried": queries.do_retry(cell, who, delivery)}
