"""The live stream's hub: one per app process, shared by every WebSocket subscriber.

The hub knows the log's size and keeps the newest entries (settings.stream_cache) decoded
and already serialised as the JSON text of their frame: an entry is read from the database
once and encoded once, however many members listen. It learns of new entries from:

- this process's commits (`Ledger.add_commit_listener`), at once;
- other processes' commits, on PostgreSQL, by LISTEN on `fusioncell_log` (the committer
  runs `pg_notify` in its transaction, delivered when it commits);
- a cheap read of the log head every `stream_poll` seconds, on any database: a safety net
  for lost notifications, and how writes by other processes reach it on SQLite.

Every signal is only a hint ("look"): the hub reads the entries after the ones it has, in
order, so a lost, repeated or foreign notification (another cell in the same database)
can never make it skip or repeat an entry. Database reads run in worker threads, never on
the event loop. Subscribers pull (see `fusioncell.live.stream`): nothing is queued per
subscriber, so the hub's memory does not grow with the number or slowness of listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import selectors
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
import psycopg
from sqlalchemy import select

from fusioncell.authz import Principal
from fusioncell.authz.visibility import visible
from fusioncell.cell import Cell
from fusioncell.clock import parse_rfc3339
from fusioncell.db import reading
from fusioncell.entries import ITEM_COLUMNS, entry_item
from fusioncell.ledger.store import LOG_CHANNEL
from fusioncell.ledger.tables import log_bodies, log_entries
from fusioncell.ledger.trust import Genesis

log = logging.getLogger(__name__)

PAGE = 500  # entries per database read
# The cache's other bound: bodies may be up to 1 MiB, and 4096 of those would not fit.
CACHE_MAX_CHARS = 64 * 1024 * 1024
LISTEN_CHECK_S = 10.0  # an idle LISTEN connection is checked this often (a dead server)
LISTEN_RETRY_MAX_S = 30.0  # the longest wait between reconnections

DeliveryHook = Callable[[Principal, list[int]], None]


@dataclass(frozen=True, slots=True)
class Frame:
    """One entry, ready to send to whoever may read it."""

    index: int
    visibility: frozenset[str]
    text: str  # the whole `{"type":"entry",...}` frame
    appended: float = 0.0  # the entry's log time, as a POSIX timestamp (fan-out lag)


def dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def _frame(row: Any) -> Frame:
    item = entry_item(row)
    text = dumps({"type": "entry", **item})
    appended = parse_rfc3339(item["time"]).timestamp()
    return Frame(item["index"], frozenset(item["visibility"]), text, appended)


def _entries_query(start: int) -> Any:
    return (
        select(*ITEM_COLUMNS)
        .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
        .where(log_entries.c.idx >= start)
        .order_by(log_entries.c.idx)
        .limit(PAGE)
    )


class Hub:
    """Wakes subscribers when the log grows and hands them encoded entries.

    `on_delivered(principal, indexes)` (settable) is told which entries were just sent to
    a member; it runs in a worker thread, and its exceptions are logged.
    """

    def __init__(self, cell: Cell, *, on_delivered: DeliveryHook | None = None) -> None:
        s = cell.settings
        self.cell = cell
        self.on_delivered = on_delivered
        self.heartbeat = s.stream_heartbeat
        self.send_timeout = s.stream_send_timeout
        self.poll = s.stream_poll
        self.cache_size = max(1, s.stream_cache)
        self.cutoffs = 0  # slow subscribers cut off since start (for operators and tests)
        self._frames: deque[Frame] = deque()
        self._chars = 0  # of the cached frames' text
        self._size = 0  # entries [0, size) are known; the last len(_frames) are cached
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None  # "look for new entries"
        self._grown: asyncio.Event | None = None  # set, then replaced, when size grows
        self._starting: asyncio.Future[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: PgListener | None = None
        self._stopped = False
        self._hook_limiter: anyio.CapacityLimiter | None = None

    # ---- state -----------------------------------------------------------------------

    @property
    def size(self) -> int:
        """The log's size as this hub knows it (entries [0, size) can be streamed)."""
        return self._size

    @property
    def first(self) -> int:
        """The oldest cached index; older entries are read from the database."""
        return self._size - len(self._frames)

    def cached(self, start: int) -> list[Frame]:
        """Cached frames from `start` (>= first) to the end, a snapshot."""
        skip = start - self.first
        if skip < 0:
            raise ValueError(f"entry {start} is no longer cached")
        return list(itertools.islice(self._frames, skip, None))

    async def wait_beyond(self, index: int, timeout: float) -> bool:
        """Wait until entry `index` exists (size > index); False after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._size <= index:
            grown = self._grown
            left = deadline - loop.time()
            if left <= 0:
                return False
            if grown is None:  # not started: nothing will grow
                await asyncio.sleep(left)
                return False
            try:
                async with asyncio.timeout(left):
                    await grown.wait()
            except TimeoutError:
                return self._size > index
        return True

    async def read_visible(self, start: int, end: int, who: Principal) -> list[Frame]:
        """Up to PAGE entries in [start, end) that `who` may read, from the database."""
        return await anyio.to_thread.run_sync(self._read_visible, start, end, who)

    def _read_visible(self, start: int, end: int, who: Principal) -> list[Frame]:
        q = visible(_entries_query(start).where(log_entries.c.idx < end), who, self.genesis)
        with reading(self.cell.engine) as conn:
            rows = conn.execute(q).all()
        return [_frame(r) for r in rows]

    @property
    def genesis(self) -> Genesis:
        return self.cell.ledger.genesis

    async def delivered(self, who: Principal, indexes: list[int]) -> None:
        hook = self.on_delivered
        if hook is None or not indexes:
            return
        if getattr(hook, "nonblocking", False):
            # A hook that only takes note (a set and a queue) costs less than the thread hop.
            self._call_hook(hook, who, indexes)
            return
        await anyio.to_thread.run_sync(
            self._call_hook, hook, who, indexes, limiter=self._hook_limiter
        )

    @staticmethod
    def _call_hook(hook: DeliveryHook, who: Principal, indexes: list[int]) -> None:
        try:
            hook(who, indexes)
        except Exception:
            log.exception("live: the delivery hook failed")

    # ---- life ------------------------------------------------------------------------

    async def start(self) -> None:
        """Idempotent: the app's lifespan starts it; the first subscriber too, if no
        lifespan ran (a server started with lifespan off)."""
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        await asyncio.shield(self._starting)

    async def _start(self) -> None:
        self._stopped = False
        self._frames.clear()
        self._chars = 0
        # Delivery hooks write receipts: a few threads at most, not the request threadpool.
        self._hook_limiter = anyio.CapacityLimiter(4)
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._grown = asyncio.Event()
        # Listen before reading the size: a commit in between then wakes the reader,
        # which reads from the size it got, so nothing falls between the two.
        self.cell.ledger.add_commit_listener(self._on_commit)
        self._size = await anyio.to_thread.run_sync(self.cell.ledger.size)
        self._tasks.append(asyncio.create_task(self._reader(), name="live-reader"))
        if self.poll > 0:
            self._tasks.append(asyncio.create_task(self._poller(), name="live-poll"))
        url = self.cell.engine.url
        if url.get_backend_name() == "postgresql":
            dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._listener = PgListener(dsn, self.wake_threadsafe)
            self._listener.start()

    async def stop(self) -> None:
        """Stop (it may be started again: a test client runs an app's lifespan twice)."""
        self._stopped = True
        starting, self._starting = self._starting, None
        if starting is None:
            return
        with contextlib.suppress(Exception):
            await starting
        self.cell.ledger.remove_commit_listener(self._on_commit)
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._listener is not None:
            self._listener.stop()
            await anyio.to_thread.run_sync(self._listener.join, 5.0)
            self._listener = None

    # ---- learning of new entries -----------------------------------------------------

    def _on_commit(self, size: int) -> None:
        """In the ledger's committer thread: only hand over to the event loop."""
        self.wake_threadsafe()

    def wake_threadsafe(self) -> None:
        """Ask the hub, from any thread, to look for new entries."""
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or self._stopped:
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody listens
            loop.call_soon_threadsafe(wake.set)

    async def _poller(self) -> None:
        assert self._wake is not None
        while True:
            await asyncio.sleep(self.poll)
            try:
                head = await anyio.to_thread.run_sync(self.cell.ledger.size)
            except Exception:  # the database may be restarting: try again next time
                log.debug("live: reading the log head failed", exc_info=True)
                continue
            if head > self._size:
                self._wake.set()

    async def _reader(self) -> None:
        """The one task that reads new entries into the cache, in order."""
        assert self._wake is not None
        failing = False
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                while True:
                    frames = await anyio.to_thread.run_sync(self._read_new, self._size)
                    if not self._append(frames) or len(frames) < PAGE:
                        break
                failing = False
            except Exception:
                if not failing:  # once per outage, not once a second
                    log.warning("live: reading new entries failed; retrying", exc_info=True)
                failing = True
                await asyncio.sleep(1.0)
                self._wake.set()

    def _read_new(self, start: int) -> list[Frame]:
        with reading(self.cell.engine) as conn:
            rows = conn.execute(_entries_query(start)).all()
        return [_frame(r) for r in rows]

    def _append(self, frames: list[Frame]) -> bool:
        """Cache the frames that continue the log; did it grow?"""
        grew = False
        for f in frames:
            if f.index != self._size:
                # Never a gap: any snapshot holds a prefix of the log (defensive).
                log.error("live: entry %d read where %d was expected", f.index, self._size)
                break
            self._frames.append(f)
            self._chars += len(f.text)
            self._size += 1
            grew = True
        while len(self._frames) > 1 and (
            len(self._frames) > self.cache_size or self._chars > CACHE_MAX_CHARS
        ):
            self._chars -= len(self._frames.popleft().text)
        if grew:
            old, self._grown = self._grown, asyncio.Event()
            if old is not None:
                old.set()
        return grew


class PgListener:
    """LISTEN on the log's channel in a thread of its own, on an autocommit connection;
    reconnects with back-off when the database goes away, and then asks for a look, since
    notifications sent meanwhile are lost."""

    def __init__(self, dsn: str, wake: Callable[[], None]) -> None:
        self._dsn = dsn
        self._wake = wake
        self._stop_r, self._stop_w = socket.socketpair()
        self._stopping = threading.Event()
        self.listening = threading.Event()  # set while LISTEN is in effect
        self.backend_pid: int | None = None  # the server process of that connection
        self._thread = threading.Thread(target=self._run, name="live-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._stop_w.send(b"x")  # wakes the select() at once

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        self._stop_r.close()
        self._stop_w.close()

    def _run(self) -> None:
        delay = 0.5
        while not self._stopping.is_set():
            try:
                self._listen()
            except (psycopg.Error, OSError) as exc:
                if self.listening.is_set():
                    delay = 0.5  # it was up until now: the back-off starts anew
                log.warning("live: LISTEN %s: %s; reconnecting in %.1fs", LOG_CHANNEL, exc, delay)
            self.listening.clear()
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, LISTEN_RETRY_MAX_S)

    def _listen(self) -> None:
        """Until stopped (returns) or the connection fails (raises)."""
        with (
            psycopg.connect(self._dsn, autocommit=True, connect_timeout=10) as conn,
            selectors.DefaultSelector() as sel,
        ):
            conn.execute(f"LISTEN {LOG_CHANNEL}")
            self.backend_pid = conn.info.backend_pid
            self.listening.set()
            self._wake()
            sel.register(conn.fileno(), selectors.EVENT_READ, "db")
            sel.register(self._stop_r, selectors.EVENT_READ, "stop")
            while not self._stopping.is_set():
                events = sel.select(timeout=LISTEN_CHECK_S)
                if any(key.data == "stop" for key, _ in events):
                    return
                if not events:
                    conn.execute("SELECT 1")  # a server that went away shows here
                # Drain what arrived (or was kept aside during the SELECT); one look is
                # enough for any number of notifications, whatever their payloads.
                if any(True for _ in conn.notifies(timeout=0)):
                    self._wake()
