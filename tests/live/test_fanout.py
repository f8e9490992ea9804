"""Several processes on one database. On PostgreSQL each commit reaches every process's
listeners by LISTEN/NOTIFY: the poll of the log head is off in those tests
(stream_poll = 0), so only NOTIFY can carry an entry from one process to another. On
SQLite the poll does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from fusioncell.authz import Role
from fusioncell.cell import Cell, open_cell
from fusioncell.client import MemberClient
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.live.hub import PgListener
from fusioncell.settings import Settings
from tests.live.conftest import WAIT_S, Live, append, recv

NO_POLL = [{"stream_poll": 0}]


@pytest.fixture
def _postgresql_only(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite the poll carries other writes")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def second(cell: Cell, settings: Settings, tmp_path: Path) -> Iterator[str]:
    """`fusioncell serve` in a process of its own, on the test's cell and database."""
    port = _free_port()
    env = {
        **os.environ,
        "FUSIONCELL_DATABASE_URL": str(settings.database_url),
        "FUSIONCELL_STREAM_POLL": "0",
    }
    log = tmp_path / "second.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fusioncell.cli",
                "serve",
                "--data",
                str(settings.data),
                "--port",
                str(port),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT_S * 3
        while True:
            assert proc.poll() is None, f"the second server died:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"no second server:\n{log.read_text()}"
            try:
                httpx.get(f"{url}/api/openapi.json", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _member(cell: Cell, live: Live, base_url: str, party: str, member: str) -> MemberClient:
    key = new_member_key(party, member)
    register_member_key(cell, party, member, key.verifier.encode())
    token = live.token(party, member)
    http = httpx.Client(base_url=base_url, timeout=WAIT_S)
    return MemberClient(token=token, key=key, party=party, member=member, http=http)


@pytest.mark.usefixtures("_postgresql_only")
@pytest.mark.parametrize("stream_settings", NO_POLL, indirect=True)
def test_an_entry_appended_in_one_process_reaches_listeners_of_another(
    live: Live, second: str
) -> None:
    a = _member(live.cell, live, live.url, "SY", "sy-liaison")  # writes through this process
    b = _member(live.cell, live, second, "IL", "il-liaison")  # writes through the other
    token = live.token("US", "us-duty", Role.DUTY_OFFICER)
    other = replace(live, url=second)  # the same cell, served by the other process
    with other.connect(token) as on_b, live.connect(token) as on_a:
        assert recv(on_b)["type"] == "ready"
        assert recv(on_a)["type"] == "ready"
        # Several in turn: the first may come by the look B takes when its LISTEN
        # starts; every later one can only come by NOTIFY.
        for n in range(3):
            r = a.post("test.live.note", f"from-a-{n}", ["SY"], {"n": n})
            assert recv(on_b)["index"] == r.index  # A -> B
            assert recv(on_a)["index"] == r.index
            r = b.post("test.live.note", f"from-b-{n}", ["IL"], {"n": n})
            assert recv(on_a)["index"] == r.index  # B -> A
            assert recv(on_b)["index"] == r.index


@pytest.mark.usefixtures("_postgresql_only")
@pytest.mark.parametrize("stream_settings", NO_POLL, indirect=True)
def test_the_listener_reconnects_when_its_connection_dies(live: Live, settings: Settings) -> None:
    other = open_cell(settings)  # another process's ledger: only NOTIFY tells this hub
    try:
        listener = live.hub._listener
        assert isinstance(listener, PgListener)
        with live.connect(live.token("IL", "il-liaison")) as ws:
            assert recv(ws)["type"] == "ready"
            assert listener.listening.wait(WAIT_S)
            pid = listener.backend_pid
            with other.engine.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            # Appended while the listener is down: found by the look it takes on return.
            lost = append(other, [("IL",)])[0]
            assert recv(ws)["index"] == lost.index
            deadline = time.monotonic() + WAIT_S
            while not (listener.listening.is_set() and listener.backend_pid != pid):
                assert time.monotonic() < deadline
                time.sleep(0.01)
            # And by NOTIFY again afterwards.
            for _ in range(2):
                later = append(other, [("IL",)])[0]
                assert recv(ws)["index"] == later.index
    finally:
        other.close()


@pytest.mark.parametrize("stream_settings", [{"stream_poll": 0.2}], indirect=True)
def test_writes_of_another_process_arrive_by_the_poll(live: Live, settings: Settings) -> None:
    """The CLI appending to the same SQLite file: nothing tells this hub but the poll."""
    other = open_cell(settings)
    try:
        with live.connect(live.token("IL", "il-liaison")) as ws:
            assert recv(ws)["type"] == "ready"
            for _ in range(2):
                (a,) = append(other, [("IL",)])
                assert recv(ws)["index"] == a.index
    finally:
        other.close()
