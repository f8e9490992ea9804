"""The live stream's tests: the test's cell served by a real uvicorn (its lifespan starts
the hub), real WebSocket clients, and quick ways to append entries and make tokens."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from fusioncell.app import create_app
from fusioncell.authz import Role
from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.identity.tokens import create_token
from fusioncell.ledger.canonical import b64e
from fusioncell.ledger.entry import SYSTEM_MEMBER, SYSTEM_PARTY, Author, build_statement
from fusioncell.ledger.entry import parse_submission as parse
from fusioncell.ledger.store import Appended
from fusioncell.live.client import MAX_FRAME, stream_url
from fusioncell.live.hub import Hub
from fusioncell.settings import Settings
from tests.web.conftest import serving

KIND = "test.live.note"
WAIT_S = 20.0  # generous: the box is shared; nothing asserts a time shorter than this


@pytest.fixture
def stream_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """stream_* settings of the test's cell: override with
    @pytest.mark.parametrize("stream_settings", [{...}], indirect=True)."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def settings(tmp_path: Path, db_url: str, stream_settings: dict[str, Any]) -> Settings:
    """The root conftest's settings, with the test's stream_* settings."""
    return Settings(data=tmp_path / "data", database_url=db_url, **stream_settings)


@dataclass
class Live:
    url: str
    app: FastAPI
    cell: Cell

    @property
    def hub(self) -> Hub:
        hub: Hub = self.app.state.hub
        return hub

    def token(self, party: str, member: str, role: Role = Role.LIAISON_OFFICER) -> str:
        return create_token(self.cell.engine, party, member, role, self.cell.clock.now())[1]

    def connect(self, token: str | None, after: int | None = None, **kw: Any) -> ClientConnection:
        """A WebSocket to the stream. Without flow control by default (max_queue=None):
        a client that closes with more unread frames than max_queue cannot read the
        server's close frame and waits close_timeout (websockets issue 1555)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        options: dict[str, Any] = {
            "additional_headers": headers,
            "max_size": MAX_FRAME,
            "compression": None,
            "open_timeout": WAIT_S,
            "max_queue": None,
        }
        return connect(stream_url(self.url, after), **(options | kw))


@pytest.fixture
def live(cell: Cell) -> Iterator[Live]:
    app = create_app(cell)
    with serving(app) as url:
        yield Live(url, app, cell)


def append(
    cell: Cell, visibilities: Sequence[Sequence[str]], body: dict[str, Any] | None = None
) -> list[Appended]:
    """One system entry per visibility, submitted together (group commit), in order."""
    assert cell.ledger.log_key is not None
    key = cell.ledger.log_key
    author = Author(SYSTEM_PARTY, SYSTEM_MEMBER, key.key_id_hex)
    futures: list[Future[Appended]] = []
    for n, vis in enumerate(visibilities):
        raw, b = build_statement(
            origin=cell.ledger.origin,
            kind=KIND,
            subject=f"note-{n}",
            author=author,
            visibility=vis,
            body={"n": n, **(body or {})},
            client_time=rfc3339(cell.clock.now()),
        )
        futures.append(cell.ledger.submit_async(parse(b64e(raw), b64e(key.sign(raw)), b)))
    return [f.result(timeout=60) for f in futures]


def recv(ws: ClientConnection, timeout: float = WAIT_S) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return frame


def entries_until_ready(ws: ClientConnection) -> tuple[list[dict[str, Any]], int]:
    """The backfill's entry frames, and the ready frame's size."""
    got = []
    while True:
        f = recv(ws)
        if f["type"] == "ready":
            return got, f["size"]
        if f["type"] == "entry":
            got.append(f)


def close_code(ws: ClientConnection) -> tuple[int | None, str]:
    """Read until the server closes; its close code and reason."""
    with contextlib.suppress(ConnectionClosed):
        while True:
            ws.recv(timeout=WAIT_S)
    rcvd = ws.protocol.close_rcvd
    assert rcvd is not None, "closed without a close frame"
    return rcvd.code, rcvd.reason


class Proxy:
    """A TCP forwarder in front of a server, whose connections a test can cut (a network
    failure, as a client sees it: no close frame, just a dead connection)."""

    def __init__(self, target_url: str) -> None:
        host, port = target_url.removeprefix("http://").split(":")
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.accepted = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.pairs.append((client, upstream))
                self.accepted += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def drop(self) -> None:
        """Cut every connection now open."""
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for s in pair:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def close(self) -> None:
        self.listener.close()
        self.drop()


@pytest.fixture
def proxy(live: Live) -> Iterator[Proxy]:
    p = Proxy(live.url)
    yield p
    p.close()


def small_socket(live: Live, rcvbuf: int = 64 * 1024) -> socket.socket:
    """A connected socket whose receive buffer stays small (set before connecting, which
    turns off autotuning up to tcp_rmem's maximum): a client that stops reading then
    stalls the server after a few megabytes instead of tens."""
    host, port = live.url.removeprefix("http://").split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect((host, int(port)))
    return sock
