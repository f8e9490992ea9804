"""A real server process killed with SIGKILL in the middle of a burst of appends.

Several clients post signed statements to `fusioncell serve` over HTTP. Once enough of
them have been acknowledged, and while others are in flight, the server is killed with
SIGKILL. After a restart on the same data every acknowledged append must be in the log at
the index it was acknowledged with, the indexes must run 0..size-1, the log must verify,
and new appends must continue at the next index.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from fusioncell.cell import init_cell, open_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.client import MemberClient
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.identity.tokens import create_token
from fusioncell.ledger.canonical import b64d
from fusioncell.ledger.entry import parse_leaf
from fusioncell.settings import Settings

from .test_concurrency import check_log

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

KIND = "note.posted"
WAIT = 60  # seconds: a bound on waiting for an event, never an expectation
CLIENTS = 4
KILL_AFTER = 24  # acknowledgements observed before the kill
PER_CLIENT_CAP = 2000  # a bound on each client's loop should the kill never come


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


def start_server(settings: Settings, token: str, log: Path) -> Server:
    """`fusioncell serve` on a free port; returns once it answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUSIONCELL_")}
    env["FUSIONCELL_DATABASE_URL"] = settings.db_url()
    cmd = [sys.executable, "-m", "fusioncell.cli", "serve", "--data", str(settings.data)]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + WAIT
    with httpx.Client(base_url=server.url, timeout=5, trust_env=False) as h:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{server.output()}")
            try:
                r = h.get("/log/v1/checkpoint", headers={"Authorization": f"Bearer {token}"})
                if r.status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                stop(server)
                pytest.fail(f"the server did not come up:\n{server.output()}")
            time.sleep(0.05)  # polling for start-up only


def stop(server: Server, sig: int = signal.SIGTERM) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(sig)
        try:
            server.proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(WAIT)


@contextmanager
def serving(settings: Settings, token: str, log: Path) -> Iterator[Server]:
    server = start_server(settings, token, log)
    try:
        yield server
    finally:
        stop(server)


@dataclass
class Writer:
    party: str
    member: str
    token: str
    signer: MemberClient  # signs on this side; posts go through a client of its own

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Burst:
    """What the clients saw: acknowledged appends, and those whose fate is unknown."""

    cond: threading.Condition = field(default_factory=threading.Condition)
    acked: list[tuple[int, bytes]] = field(default_factory=list)  # (index, statement)
    in_doubt: list[bytes] = field(default_factory=list)  # sent, no answer: the kill
    in_flight: int = 0
    unexpected: list[str] = field(default_factory=list)
    finished: int = 0


def client_loop(url: str, w: Writer, n: int, burst: Burst) -> None:
    with httpx.Client(base_url=url, timeout=WAIT, trust_env=False) as h:
        try:
            for i in range(PER_CLIENT_CAP):
                payload = w.signer.sign(KIND, f"burst-{n}", [w.party, "US"], {"text": f"{n}/{i}"})
                raw = b64d(payload["statement"])
                with burst.cond:
                    burst.in_flight += 1
                    burst.cond.notify_all()
                try:
                    r = h.post("/log/v1/append", json=payload, headers=w.headers)
                except httpx.TransportError:
                    with burst.cond:
                        burst.in_doubt.append(raw)
                    return
                with burst.cond:
                    burst.in_flight -= 1
                    if r.status_code == 201:
                        burst.acked.append((int(r.json()["index"]), raw))
                    else:
                        burst.unexpected.append(f"{r.status_code}: {r.text}")
                    burst.cond.notify_all()
                if r.status_code != 201:
                    return
        finally:
            with burst.cond:
                burst.finished += 1
                burst.cond.notify_all()


def test_sigkill_during_a_burst_loses_no_acknowledged_append(
    settings: Settings, tmp_path: Path
) -> None:
    cell = init_cell(paris_charter_text(), settings)
    origin = cell.ledger.origin
    writers = []
    for n in range(CLIENTS):
        party, name = ("SY", "IL")[n % 2], f"burst-{n}"
        key = new_member_key(party, name)
        register_member_key(cell, party, name, key.verifier.encode())
        _, token = create_token(cell.engine, party, name, "liaison_officer", cell.clock.now())
        signer = MemberClient(token=token, key=key, party=party, member=name, origin=origin)
        writers.append(Writer(party, name, token, signer))
    # The supervising party sees every entry: its auditor reads the log back.
    _, auditor = create_token(cell.engine, "US", "us-auditor", "auditor", cell.clock.now())
    reader = {"Authorization": f"Bearer {auditor}"}
    setup_size = cell.ledger.size()
    cell.close()
    log = tmp_path / "server.log"

    # ---- the burst, and the kill
    burst = Burst()
    server = start_server(settings, auditor, log)
    clients = [
        threading.Thread(target=client_loop, args=(server.url, w, n, burst), daemon=True)
        for n, w in enumerate(writers)
    ]
    try:
        for c in clients:
            c.start()
        with burst.cond:
            ready = burst.cond.wait_for(
                lambda: (
                    (len(burst.acked) >= KILL_AFTER and burst.in_flight >= 2)
                    or burst.unexpected
                    or burst.finished
                ),
                WAIT,
            )
            in_flight_at_kill = burst.in_flight
            assert not burst.unexpected, burst.unexpected
            assert not burst.finished, f"a client stopped before the kill:\n{server.output()}"
            assert ready, f"no burst: {len(burst.acked)} acknowledged\n{server.output()}"
            server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(WAIT)
    finally:
        stop(server, signal.SIGKILL)
        for c in clients:
            c.join(WAIT)
    assert server.proc.returncode == -signal.SIGKILL
    assert not any(c.is_alive() for c in clients)
    assert not burst.unexpected, burst.unexpected
    assert in_flight_at_kill >= 2
    # Every client was cut off mid-request: its last append's fate is unknown.
    assert len(burst.in_doubt) == CLIENTS
    acked = dict(burst.acked)
    assert len(acked) == len(burst.acked), "two appends were acknowledged with one index"
    assert len(acked) >= KILL_AFTER

    # ---- restart on the same data
    with (
        serving(settings, auditor, log) as server,
        httpx.Client(base_url=server.url, timeout=WAIT, trust_env=False) as h,
    ):
        r = h.get("/log/v1/checkpoint", headers=reader)
        assert r.status_code == 200
        size_after_restart = int(r.text.split("\n")[1])
        assert size_after_restart >= max(acked) + 1
        # The restarted server serves what it acknowledged before the kill.
        r = h.get("/log/v1/entries", params={"start": 0, "end": size_after_restart}, headers=reader)
        assert r.status_code == 200, r.text
        served = {e["index"]: parse_leaf(b64d(e["entry"])) for e in r.json()["entries"]}
        for index, raw in acked.items():
            assert served[index].statement.raw == raw, f"entry {index} is not what was acked"
        # New appends continue at the next index.
        new: dict[int, bytes] = {}
        for n, w in enumerate(writers):
            payload = w.signer.sign(KIND, "after", [w.party, "US"], {"text": f"after {n}"})
            r = h.post("/log/v1/append", json=payload, headers=w.headers)
            assert r.status_code == 201, r.text
            assert r.json()["index"] == size_after_restart + n
            new[size_after_restart + n] = b64d(payload["statement"])

    # ---- at rest: every acknowledged append where it was acknowledged, nothing else
    cell = open_cell(settings)
    try:
        statements = check_log(cell, tmp_path / "export")
    finally:
        cell.close()
    assert len(statements) == size_after_restart + CLIENTS
    for index, raw in {**acked, **new}.items():
        assert statements.get(index) == raw, f"acknowledged entry {index} is not in the log"
    # Whatever else the burst wrote was sent by a client and never acknowledged.
    others = {i: s for i, s in statements.items() if i >= setup_size and i not in acked}
    others = {i: s for i, s in others.items() if i not in new}
    assert set(others.values()) <= set(burst.in_doubt)
    assert len(others) == size_after_restart - setup_size - len(acked)
