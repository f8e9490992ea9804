"""A real `fusioncell serve` killed with SIGKILL in the middle of an escalation and started
again: every notification arrives, none twice, counted by delivery id and by raw count.

The cell's charter has short clocks (FLASH: acknowledge within 2 s; escalation steps 0 s,
3 s and 6 s after), so this test runs on real time, in a subprocess, with the real SMTP
and webhook receivers of conftest.

"Never twice" has one boundary, documented in docs/notifications.md: a crash after the
remote accepted a delivery and before the server recorded it sends it again (with the same
delivery id, so the receiver can drop it). The test kills the server outside that window
on purpose: it stops the process (SIGSTOP), checks that everything the receivers took is
recorded as sent, and only then kills it (SIGKILL); if a delivery is in that window it lets
the process go on for a moment and tries again. Everything else (rows not yet enqueued,
deliveries under way, escalation steps falling due while no server runs) is as a crash
leaves it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from fusioncell.authz import Principal, Role
from fusioncell.cell import open_cell
from fusioncell.db import reading
from fusioncell.deadlines.tables import deadlines
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.identity.tokens import create_token
from fusioncell.messaging.client import CellClient
from fusioncell.notify import prefs
from fusioncell.notify.tables import notify_outbox
from fusioncell.settings import Settings
from tests.notify.conftest import Mailbox, Receiver, free_port

pytestmark = pytest.mark.slow

CHARTER = """
[mechanism]
origin = "crash.fusioncell.example/log"
languages = ["en"]
name.en = "Crash test cell"

[[parties]]
code = "IL"
languages = ["en"]
timezone = "Asia/Jerusalem"
name.en = "Israel"

[[parties]]
code = "SY"
languages = ["en"]
timezone = "Asia/Damascus"
name.en = "Syria"

[[parties]]
code = "US"
languages = ["en"]
timezone = "America/New_York"
supervisor = true
sees_all = true
name.en = "United States"

[[workstreams]]
id = "general"
name.en = "General"

[[urgency]]
level = "FLASH"
name.en = "Flash"
ack_within = "2s"
escalation = [
  { after = "0s", notify = ["own:head_of_delegation"] },
  { after = "3s", notify = ["supervisor:duty_officer"] },
  { after = "6s", notify = ["own:head_of_delegation", "supervisor:duty_officer"] },
]

[[urgency]]
level = "ROUTINE"
name.en = "Routine"
ack_within = "24h"
requires_ack = false
"""

WAIT = 60.0  # seconds any one awaited event may take on a busy machine (never asserted)
ROOT = Path(__file__).resolve().parents[2]
FUSIONCELL = [sys.executable, "-m", "fusioncell.cli"]


def _until(what: str, done: Callable[[], bool], timeout: float = WAIT) -> None:
    end = time.monotonic() + timeout
    while not done():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Server:
    """`fusioncell serve` in a subprocess of its own."""

    def __init__(self, data: Path, port: int, env: dict[str, str], log: Path) -> None:
        self.data, self.port, self.env, self.log = data, port, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, token: str) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*FUSIONCELL, "serve", "--data", str(self.data), "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )

        def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited: {self.log.read_text()[-3000:]}")
            try:
                r = httpx.get(
                    f"{self.url}/log/v1/checkpoint",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=2,
                )
            except httpx.HTTPError:
                return False
            return r.status_code == 200

        _until("the server to answer", up)

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no lifespan, no cleanup
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)


@pytest.fixture
def server_env(db_url: str, smtp: tuple[Mailbox, int]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUSIONCELL_")}
    env.update(
        {
            "FUSIONCELL_DATABASE_URL": db_url,
            "FUSIONCELL_SECURE_COOKIES": "false",
            "FUSIONCELL_SMTP_HOST": "127.0.0.1",
            "FUSIONCELL_SMTP_PORT": str(smtp[1]),
            "FUSIONCELL_SMTP_SECURITY": "none",
            "FUSIONCELL_SMTP_FROM": "cell@crash.example",
            "FUSIONCELL_WEBHOOK_ALLOWED": '["http://127.0.0.1:"]',
            "FUSIONCELL_NOTIFY_BASE_URL": "https://crash.example",
            "PYTHONPATH": str(ROOT / "src"),
        }
    )
    return env


@pytest.fixture
def server(tmp_path: Path, server_env: dict[str, str]) -> Iterator[Server]:
    s = Server(tmp_path / "cell", free_port(), server_env, tmp_path / "server.log")
    try:
        yield s
    finally:
        s.stop()


def _setup(data: Path, db_url: str, hooks: Receiver) -> dict[str, Any]:
    """Members, their addresses and webhooks, before the server starts."""
    # The operator's settings, as the server gets them from its environment.
    cell = open_cell(
        Settings(data=data, database_url=db_url, webhook_allowed=["http://127.0.0.1:"])
    )
    try:
        made: dict[str, Any] = {}
        for party, name, role, email, hook in [
            ("SY", "sy-liaison", Role.LIAISON_OFFICER, None, False),
            ("IL", "il-liaison", Role.LIAISON_OFFICER, "il-liaison@example.org", True),
            ("IL", "il-head", Role.HEAD_OF_DELEGATION, "il-head@example.org", True),
            ("IL", "il-duty", Role.DUTY_OFFICER, "il-duty@example.org", False),
            ("US", "us-duty", Role.DUTY_OFFICER, None, True),
        ]:
            do_add_member(cell, party, name, role)
            who = Principal(party, name, role)
            prefs.do_set_settings(cell, who, email=email)
            if hook:
                _, secret = prefs.do_set_webhook(cell, who, f"{hooks.base}/{name}")
                hooks.secrets[f"/{name}"] = secret
        key = new_member_key("SY", "sy-liaison")
        register_member_key(cell, "SY", "sy-liaison", key.verifier.encode())
        _, token = create_token(
            cell.engine, "SY", "sy-liaison", Role.LIAISON_OFFICER, cell.clock.now()
        )
        made["key"], made["token"] = key, token
        return made
    finally:
        cell.close()


def _outbox(db_url: str, data: Path) -> list[Any]:
    from fusioncell.db import make_engine

    engine = make_engine(db_url)
    try:
        with reading(engine) as conn:
            return list(conn.execute(select(notify_outbox)).all())
    finally:
        engine.dispose()


def _deadline_done(db_url: str) -> bool:
    from fusioncell.db import make_engine

    engine = make_engine(db_url)
    try:
        with reading(engine) as conn:
            states = conn.execute(select(deadlines.c.state)).scalars().all()
    finally:
        engine.dispose()
    return bool(states) and set(states) == {"done"}


def test_a_server_killed_mid_escalation_loses_and_doubles_nothing(
    tmp_path: Path,
    db_url: str,
    server: Server,
    server_env: dict[str, str],
    smtp: tuple[Mailbox, int],
    hooks: Receiver,
) -> None:
    box, _ = smtp
    charter = tmp_path / "charter.toml"
    charter.write_text(CHARTER, encoding="utf-8")
    subprocess.run(
        [*FUSIONCELL, "init", "--charter", str(charter), "--data", str(server.data)],
        env=server_env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    made = _setup(server.data, db_url, hooks)
    server.start(made["token"])

    sy = CellClient(server.url, made["token"], key=made["key"], party="SY", member="sy-liaison")
    tid, _ = sy.open_thread("general", "Convoy near the line", "en", ["IL", "SY", "US"])
    flash = sy.send(tid, "Acknowledge at once", "en", "FLASH").index

    def escalation_arrived() -> bool:
        return any(h.payload["kind"] != "cell.message.posted" for h in hooks.hits)

    # The message is told at once; the first escalation 2 s later. Kill the server then.
    _until("the first escalation", escalation_arrived)

    def recorded_sent() -> bool:
        taken = {h.delivery for h in hooks.hits} | {
            m["X-Fusioncell-Delivery"] for m in box.messages
        }
        sent = {r.delivery for r in _outbox(db_url, server.data) if r.state == "sent"}
        return taken <= sent

    for _ in range(100):
        server.signal(signal.SIGSTOP)
        time.sleep(0.2)  # let what is on the wire land at the receivers
        if recorded_sent():
            break
        server.signal(signal.SIGCONT)  # one is between "accepted" and "recorded": go on
        time.sleep(0.05)
    else:
        raise AssertionError("never found a moment outside the boundary window")
    server.kill()
    before = len(hooks.hits) + len(box.messages)
    assert not _deadline_done(db_url), "killed before the escalation ended"

    time.sleep(3)  # the next escalation step falls due while no server runs
    server.start(made["token"])
    _until("the escalation to end", lambda: _deadline_done(db_url))

    def all_sent() -> bool:
        rows = [r for r in _outbox(db_url, server.data) if r.channel != "web"]
        return bool(rows) and all(r.state == "sent" for r in rows)

    _until("every delivery", all_sent)
    server.stop()

    rows = _outbox(db_url, server.data)
    mails = [r for r in rows if r.channel == "email"]
    webhooks = [r for r in rows if r.channel == "webhook"]
    # What the charter asks: the message to IL's three members (the duty officer has no
    # webhook); the missed deadline to IL's duty officer; step 1 to IL's head, step 2 to
    # the supervisor's duty officer, step 3 to both.
    assert Counter((r.recipient, r.kind) for r in mails) == Counter(
        {
            ("il-liaison", "cell.message.posted"): 1,
            ("il-head", "cell.message.posted"): 1,
            ("il-duty", "cell.message.posted"): 1,
            ("il-duty", "system.deadline.missed"): 1,
            ("il-head", "system.escalation.notified"): 2,
        }
    )
    assert Counter((r.recipient, r.kind) for r in webhooks) == Counter(
        {
            ("il-liaison", "cell.message.posted"): 1,
            ("il-head", "cell.message.posted"): 1,
            ("il-head", "system.escalation.notified"): 2,
            ("us-duty", "system.escalation.notified"): 2,
        }
    )
    assert {r.entry_idx for r in rows if r.kind == "cell.message.posted"} == {flash}
    # By delivery id: each exactly once. By raw count: no more arrived than were sent.
    got_mail = Counter(m["X-Fusioncell-Delivery"] for m in box.messages)
    got_hooks = Counter(h.delivery for h in hooks.hits)
    assert got_mail == Counter(r.delivery for r in mails)
    assert got_hooks == Counter(r.delivery for r in webhooks)
    assert len(box.messages) == len(mails) == 6
    assert len(hooks.hits) == len(webhooks) == 6
    assert all(h.verified and h.status == 200 for h in hooks.hits)
    assert len({m["Message-ID"] for m in box.messages}) == 6
    # The crash did happen with work left: the rest was sent after the restart.
    assert before < 12
