"""Real receivers for the notifications: an SMTP server (aiosmtpd) and an HTTP server that
checks each webhook's HMAC, both on 127.0.0.1 at free ports; the Paris cell on a FrozenClock
with no notifier or deadline engine of its own (each test runs them, so what is sent, and
when, is the test's to say)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from fusioncell.authz import Principal, Role
from fusioncell.cell import Cell
from fusioncell.identity.accounts import do_add_member
from fusioncell.messaging.client import CellClient
from fusioncell.notify import prefs, webhook
from fusioncell.settings import Settings
from tests.messaging.conftest import cell, member

__all__ = ["cell", "member"]

WAIT_S = 20.0  # what an arrival may take on a busy test machine (never asserted on)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- mail ------------------------------------------------------------------------------


class Mailbox:
    """Every message the SMTP server accepted, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.cond = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        with self.cond:
            self.messages.append(msg)
            self.cond.notify_all()
        return "250 OK"

    def wait_for(self, n: int, timeout: float = WAIT_S) -> list[EmailMessage]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.messages) >= n, timeout)
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        with self.cond:
            return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    ctl = Controller(box, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield box, port
    finally:
        ctl.stop()


# ---- webhooks --------------------------------------------------------------------------


@dataclass
class Hit:
    path: str
    delivery: str
    verified: bool
    payload: dict[str, Any]
    status: int


@dataclass
class Receiver:
    """A webhook receiver. Each path answers as told: `plan[path]` is a list of statuses
    taken one per request (the last repeats), or "sleep" (answer after `sleep_s`)."""

    secrets: dict[str, str] = field(default_factory=dict)  # path -> secret
    plan: dict[str, list[int | str]] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    sleep_s: float = 2.0
    sleeping: threading.Event = field(default_factory=threading.Event)
    cond: threading.Condition = field(default_factory=threading.Condition)
    base: str = ""

    def answer(self, path: str) -> int | str:
        steps = self.plan.get(path, [200])
        return steps.pop(0) if len(steps) > 1 else steps[0]

    def record(self, hit: Hit) -> None:
        with self.cond:
            self.hits.append(hit)
            self.cond.notify_all()

    def wait_for(self, n: int, path: str | None = None, timeout: float = WAIT_S) -> list[Hit]:
        def mine() -> list[Hit]:
            return [h for h in self.hits if path is None or h.path == path]

        with self.cond:
            self.cond.wait_for(lambda: len(mine()) >= n, timeout)
            return mine()

    def at(self, path: str) -> list[Hit]:
        with self.cond:
            return [h for h in self.hits if h.path == path]


def _handler(rx: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            secret = rx.secrets.get(self.path, "")
            ok = webhook.verify(
                secret,
                body,
                self.headers.get(webhook.TIMESTAMP),
                self.headers.get(webhook.SIGNATURE),
            )
            what = rx.answer(self.path)
            if what == "sleep":
                rx.sleeping.set()
                time.sleep(rx.sleep_s)
                what = 200
            status = int(what)
            rx.record(
                Hit(self.path, self.headers.get(webhook.DELIVERY, ""), ok, json.loads(body), status)
            )
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - its name
            pass

    return Handler


@pytest.fixture
def hooks() -> Iterator[Receiver]:
    rx = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rx))
    server.daemon_threads = True
    rx.base = f"http://127.0.0.1:{server.server_address[1]}"
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield rx
    finally:
        server.shutdown()
        server.server_close()


# ---- the cell ------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path, db_url: str, smtp: tuple[Mailbox, int]) -> Settings:
    return Settings(
        data=tmp_path / "data",
        database_url=db_url,
        deadline_engine=False,
        notify_worker=False,
        notify_base_url="https://cell.example",
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        smtp_security="none",
        smtp_from="cell@paris.example",
        webhook_allowed=["http://127.0.0.1:"],
        webhook_timeout=0.5,
    )


People = Callable[..., CellClient]


@pytest.fixture
def people(cell: Cell, member: Callable[..., CellClient]) -> People:
    """people(party, name, role) -> a member of the cell (in the log, with a signing client)."""

    def make(party: str, name: str, role: Role = Role.LIAISON_OFFICER) -> CellClient:
        do_add_member(cell, party, name, role)
        return member(party, name, role)

    return make


def token(c: CellClient) -> str:
    return c.headers["Authorization"].removeprefix("Bearer ")


def principal(c: CellClient, role: Role = Role.LIAISON_OFFICER) -> Principal:
    return Principal(c.author.party, c.author.member, role)


def reach(
    cell: Cell,
    c: CellClient,
    *,
    email: str | None = None,
    hook: Receiver | None = None,
    channels: dict[str, list[str]] | None = None,
) -> str | None:
    """Give a member an address, a webhook at `hook` (path /<member>), channels."""
    who = principal(c)
    prefs.do_set_settings(
        cell, who, email=email, channels=channels if channels is not None else ...
    )
    if hook is None:
        return None
    path = f"/{c.author.member}"
    _, secret = prefs.do_set_webhook(cell, who, hook.base + path)
    hook.secrets[path] = secret
    return path
