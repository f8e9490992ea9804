"""GET /api/v1/stream: the entries a member may read, as they are appended (docs/live.md).

Each connection pulls: it keeps a cursor (the next index to consider), waits until the
hub knows entries beyond it, takes them from the hub's cache (or the database, in pages,
when older than the cache), keeps those its party may read and sends them. Nothing is
queued for a connection, so a slow client costs no memory: a frame it does not take within
`stream_send_timeout`, or falling further behind than the cache holds, ends its stream
with a `cutoff` frame (resume point) and close code 4008.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, WebSocket
from starlette.websockets import WebSocketDisconnect

from fusioncell.api.deps import Requires
from fusioncell.api.errors import close_websocket
from fusioncell.authz import Permission, Principal
from fusioncell.clock import rfc3339
from fusioncell.errors import DomainError, Invalid
from fusioncell.live.hub import PAGE, Frame, Hub, dumps
from fusioncell.ops import metrics

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["api"])

READ = Requires(Permission.CELL_READ)
Reader = Annotated[Principal, Depends(READ)]
Check = Callable[[], Awaitable[Principal]]

CUTOFF = 4008  # close code after a `cutoff` frame: reconnect with after=resume
_AFTER = re.compile(r"[0-9]{1,15}")  # int() would also take " 1", "+1" and "1_0"


class _TooSlow(Exception):
    """The client did not take a frame in time, or fell behind the cache."""


def parse_after(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not _AFTER.fullmatch(raw):
        raise Invalid("after must be the index of an entry: a whole number, 0 or more")
    return int(raw)


@router.websocket("/stream")
async def stream(websocket: WebSocket, who: Reader) -> None:
    """Entries with index > `after` the caller may read (backfill, then live), then
    `ready`; heartbeats; `cutoff` before close 4008. Errors close with 4400/4401/4403."""
    after = parse_after(websocket.query_params.get("after"))
    hub: Hub = websocket.app.state.hub
    await hub.start()
    if after is not None:
        size = await anyio.to_thread.run_sync(hub.cell.ledger.size)
        if after >= size:
            raise Invalid(f"after {after} is beyond the log's last entry, {size - 1}")
    await websocket.accept()

    async def still_allowed() -> Principal:
        """The same check again: a token revoked, a session ended, a member disabled or
        a role changed since the stream began ends it."""
        with contextlib.suppress(AttributeError, KeyError):  # Starlette's State: KeyError
            del websocket.state.session  # current_session's cached answer
        return await READ(websocket, websocket.headers.get("authorization"))

    await Subscriber(hub, websocket, who, after, still_allowed).run()


class Subscriber:
    def __init__(
        self, hub: Hub, ws: WebSocket, who: Principal, after: int | None, check: Check
    ) -> None:
        self.hub = hub
        self.ws = ws
        self.who = who
        self.check = check
        # Every entry below the cursor that this member may read has been sent.
        self.cursor = hub.size if after is None else after + 1
        self.sees_all = who.party in hub.genesis.sees_all

    async def run(self) -> None:
        """Feed the client until it leaves, is cut off, or the server stops."""
        feeder = asyncio.create_task(self._feed())
        watcher = asyncio.create_task(self._watch())
        metrics.LIVE_SUBSCRIBERS.inc()
        try:
            await asyncio.wait({feeder, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            metrics.LIVE_SUBSCRIBERS.dec()
            for t in (feeder, watcher):
                t.cancel()
            await asyncio.gather(feeder, watcher, return_exceptions=True)
        exc = None if feeder.cancelled() else feeder.exception()
        if exc is not None and not isinstance(exc, WebSocketDisconnect | OSError):
            # A bug or a database outage: say so, and let the client resume elsewhere.
            log.error("live: a stream failed", exc_info=exc)
            with contextlib.suppress(WebSocketDisconnect, OSError, RuntimeError):
                await self.ws.close(1011, "server error: reconnect with after=your last index")

    async def _watch(self) -> None:
        """Read (and ignore) what the client sends, to learn at once that it left."""
        while True:
            msg = await self.ws.receive()
            if msg["type"] == "websocket.disconnect":
                return

    async def _feed(self) -> None:
        try:
            await self._backfill()
            await self._send({"type": "ready", "size": self.cursor})
            await self._live()
        except _TooSlow:
            await self._cutoff()

    async def _backfill(self) -> None:
        hub = self.hub
        while self.cursor < hub.size:
            if self.cursor >= hub.first:
                await self._send_frames(hub.cached(self.cursor))
            else:
                end = hub.first
                frames = await hub.read_visible(self.cursor, end, self.who)
                # A short page means nothing else in [cursor, end) is visible.
                await self._send_frames(frames, upto=None if len(frames) == PAGE else end)

    async def _live(self) -> None:
        hub = self.hub
        loop = asyncio.get_running_loop()
        next_beat = loop.time() + hub.heartbeat
        while True:
            left = next_beat - loop.time()
            if left <= 0:
                # Authorization was checked once, at the handshake: check it again now
                # and then (a database read per heartbeat), not on every entry.
                try:
                    self.who = await self.check()
                except DomainError as exc:
                    await close_websocket(self.ws, exc.status, exc.message)
                    return
                now = rfc3339(hub.cell.clock.now())
                await self._send({"type": "heartbeat", "size": self.cursor, "time": now})
                next_beat = loop.time() + hub.heartbeat
                continue
            if not await hub.wait_beyond(self.cursor, left):
                continue
            if self.cursor < hub.first:
                raise _TooSlow  # further behind than the cache: resume from the database
            await self._send_frames(hub.cached(self.cursor), live=True)

    def _may_read(self, f: Frame) -> bool:
        return self.sees_all or self.who.party in f.visibility

    async def _send_frames(
        self, frames: list[Frame], *, upto: int | None = None, live: bool = False
    ) -> None:
        """`live`: entries appended while the client listened, whose fan-out lag counts
        (a backfill's are as old as the client's absence)."""
        sent: list[int] = []
        clock = self.hub.cell.clock
        try:
            for f in frames:
                if self._may_read(f):
                    await self._send_text(f.text)
                    sent.append(f.index)
                    if live:
                        lag = clock.now().timestamp() - f.appended
                        metrics.LIVE_LAG_SECONDS.observe(max(0.0, lag))
                self.cursor = f.index + 1
        finally:
            if sent:
                # Also when cut off half-way: those were sent. Shielded, so that a
                # disconnect does not lose the report of what went out before it.
                await asyncio.shield(self.hub.delivered(self.who, sent))
        if upto is not None:
            self.cursor = max(self.cursor, upto)

    async def _send(self, frame: dict[str, object]) -> None:
        await self._send_text(dumps(frame))

    async def _send_text(self, text: str) -> None:
        try:
            async with asyncio.timeout(self.hub.send_timeout):
                await self.ws.send_text(text)
        except TimeoutError:
            raise _TooSlow from None

    async def _cutoff(self) -> None:
        """Tell the client where to resume, and close. A stalled client gets one more
        send timeout to take the frame; then the connection is dropped."""
        self.hub.cutoffs += 1
        metrics.LIVE_CUTOFFS.inc()
        resume = self.cursor - 1
        log.info("live: %s/%s cut off; resume after %d", self.who.party, self.who.member, resume)
        with contextlib.suppress(TimeoutError, WebSocketDisconnect, OSError):
            async with asyncio.timeout(self.hub.send_timeout):
                await self.ws.send_text(dumps({"type": "cutoff", "resume": resume}))
                await self.ws.close(CUTOFF, "too slow: reconnect with after=resume")
