"""A program's view of the live stream: every entry its party may read, exactly once, in
order, across disconnects, server restarts and cutoffs (docs/live.md).

    for entry in stream("https://cell.example", token, after=41):
        print(entry["index"], entry["kind"])

The position kept is the highest index up to which the server said the stream was
complete (the last entry seen, or a `ready`/`heartbeat` size, or a `cutoff` resume): a
reconnection asks for the entries after it, and an entry at or below it is never yielded
again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from websockets.asyncio.client import connect as aconnect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import connect

PATH = "/api/v1/stream"
MAX_FRAME = 4 * 1024 * 1024  # a body is at most 1 MiB canonical; its frame a little more
REFUSED = frozenset({4400, 4401, 4403})  # the same request would be refused again
RETRY_MIN_S = 0.2
RETRY_MAX_S = 10.0
# A caller that stops iterating closes the connection; with unread frames queued the
# closing handshake cannot complete and waits this long (websockets issue 1555).
CLOSE_TIMEOUT_S = 2.0


class StreamRefused(Exception):
    """The server refused the stream (bad token, no permission, bad `after`)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


def stream_url(base_url: str, after: int | None) -> str:
    """ws(s)://host/api/v1/stream[?after=N] from the cell's http(s) base URL."""
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base.removeprefix("https://")
    elif base.startswith("http://"):
        base = "ws://" + base.removeprefix("http://")
    return base + PATH + ("" if after is None else f"?after={after}")


class _Position:
    """Where the stream stands, and what to yield of each frame."""

    def __init__(self, after: int | None) -> None:
        self.after = after

    def take(self, raw: str | bytes) -> dict[str, Any] | None:
        frame: dict[str, Any] = json.loads(raw)
        kind = frame.get("type")
        if kind == "entry":
            index = int(frame["index"])
            if self.after is not None and index <= self.after:
                return None  # already yielded (defensive: the server never repeats)
            self.after = index
            return frame
        if kind in ("ready", "heartbeat"):
            self._complete_to(int(frame["size"]) - 1)
        elif kind == "cutoff":
            self._complete_to(int(frame["resume"]))
        return None

    def _complete_to(self, index: int) -> None:
        if index >= 0 and (self.after is None or index > self.after):
            self.after = index


def _closed(exc: BaseException | None) -> tuple[int | None, str]:
    """The close code and reason the server sent, if any."""
    if isinstance(exc, ConnectionClosed) and exc.rcvd is not None:
        return exc.rcvd.code, exc.rcvd.reason
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        # A handshake refused with 4xx will be refused again; 5xx may pass later.
        return (4000 + status if 400 <= status < 500 else None), f"HTTP {status}"
    return None, ""


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _options(token: str) -> dict[str, Any]:
    """What both clients connect with."""
    return {
        "additional_headers": _headers(token),
        "max_size": MAX_FRAME,
        "compression": None,  # the server would deflate each frame once per listener
        "close_timeout": CLOSE_TIMEOUT_S,
    }


def _retry_after(failure: BaseException | None, reconnect: bool, delay: float) -> float | None:
    """After a connection ended: None to stop, else the seconds to wait before the next
    (none after a cutoff: the server is fine). A refusal raises StreamRefused."""
    code, reason = _closed(failure)
    if code in REFUSED:
        raise StreamRefused(code, reason)
    if not reconnect:
        return None
    return 0.0 if code == 4008 else delay


def stream(
    base_url: str, token: str, after: int | None = None, *, reconnect: bool = True
) -> Iterator[dict[str, Any]]:
    """Entry frames with index > `after` (None: from now on), reconnecting as needed.

    Raises StreamRefused when the server refuses the request itself. With
    `reconnect=False` it ends at the first disconnect or cutoff."""
    pos = _Position(after)
    delay = RETRY_MIN_S
    while True:
        failure: BaseException | None = None
        try:
            with connect(stream_url(base_url, pos.after), **_options(token)) as ws:
                for raw in ws:
                    entry = pos.take(raw)
                    if entry is not None:
                        delay = RETRY_MIN_S
                        yield entry
                failure = ws.close_exc if ws.close_code not in (None, 1000) else None
        except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as exc:
            failure = exc
        wait = _retry_after(failure, reconnect, delay)
        if wait is None:
            return
        if wait:
            time.sleep(wait)
            delay = min(delay * 2, RETRY_MAX_S)


async def astream(
    base_url: str, token: str, after: int | None = None, *, reconnect: bool = True
) -> AsyncIterator[dict[str, Any]]:
    """`stream` for asyncio programs (benchmarks: many listeners in one process)."""
    pos = _Position(after)
    delay = RETRY_MIN_S
    while True:
        failure: BaseException | None = None
        try:
            async with aconnect(stream_url(base_url, pos.after), **_options(token)) as ws:
                async for raw in ws:
                    entry = pos.take(raw)
                    if entry is not None:
                        delay = RETRY_MIN_S
                        yield entry
                failure = ws.close_exc if ws.close_code not in (None, 1000) else None
        except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as exc:
            failure = exc
        wait = _retry_after(failure, reconnect, delay)
        if wait is None:
            return
        if wait:
            await asyncio.sleep(wait)
            delay = min(delay * 2, RETRY_MAX_S)
