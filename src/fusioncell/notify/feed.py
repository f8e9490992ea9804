"""The pages' live notifications: a long poll (`GET /api/v1/notifications?after=N&wait=25`)
that answers as soon as the member has a web notification after N.

One `Feed` per server process wakes every waiting request when a web notification is
written: at once when this process's notifier wrote it (`bump`), within `notify_poll`
seconds when another process's did (one query per interval for the whole process, and only
while someone waits). A woken request reads its own member's rows; nothing is queued per
connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref

from fusioncell.cell import Cell
from fusioncell.db import reading
from fusioncell.notify import outbox

log = logging.getLogger(__name__)

_feeds: weakref.WeakSet[Feed] = weakref.WeakSet()
_feeds_lock = threading.Lock()


def bump() -> None:
    """A web notification was written by this process: wake every feed (any thread)."""
    with _feeds_lock:
        feeds = list(_feeds)
    for f in feeds:
        f.bump()


class Feed:
    def __init__(self, cell: Cell, poll: float) -> None:
        self.cell = cell
        self.poll = poll
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._waiting = 0
        self._newest = -1

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        if self.poll > 0:
            self._task = asyncio.create_task(self._watch(), name="notify-feed")
        with _feeds_lock:
            _feeds.add(self)

    async def stop(self) -> None:
        with _feeds_lock:
            _feeds.discard(self)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._fire()  # let every waiting request answer now

    def bump(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._fire)

    def _fire(self) -> None:
        ev = self._event
        if ev is not None:
            self._event = asyncio.Event()
            ev.set()

    def mark(self) -> asyncio.Event | None:
        """Take this before reading, and wait on it after: a notification written in
        between has already set it, so none slips through."""
        return self._event

    async def wait(self, mark: asyncio.Event | None, timeout: float) -> None:
        """Until something may have arrived since `mark`, or `timeout` seconds."""
        if mark is None or timeout <= 0:
            return
        self._waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(mark.wait(), timeout)
        finally:
            self._waiting -= 1

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.poll)
            if not self._waiting:
                continue
            try:
                newest = await asyncio.to_thread(self._read)
            except Exception:  # the database is away for a moment: try again
                log.debug("notify feed: reading the outbox failed", exc_info=True)
                continue
            if newest != self._newest:  # the first read too: a spurious wake costs one query
                self._newest = newest
                self._fire()

    def _read(self) -> int:
        with reading(self.cell.engine) as conn:
            return outbox.web_newest(conn)
