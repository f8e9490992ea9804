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
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.harness import FUSIONCELL, ROOT, Server, until

from fusioncell.messaging.client import CellClient
from tests.notify.conftest import Mailbox, Receiver
from tests.notify.helpers import (
    CHARTER,
    deadline_done,
    outbox,
    server_env,
    setup_members,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def env(db_url: str, smtp: tuple[Mailbox, int]) -> dict[str, str]:
    return server_env(db_url, smtp[1], "crash.example")


@pytest.fixture
def server(tmp_path: Path, env: dict[str, str]) -> Iterator[Server]:
    s = Server(tmp_path / "cell", env, tmp_path / "server.log")
    try:
        yield s
    finally:
        s.stop()


def test_a_server_killed_mid_escalation_loses_and_doubles_nothing(
    tmp_path: Path,
    db_url: str,
    server: Server,
    env: dict[str, str],
    smtp: tuple[Mailbox, int],
    hooks: Receiver,
) -> None:
    box, _ = smtp
    charter = tmp_path / "charter.toml"
    charter.write_text(CHARTER, encoding="utf-8")
    subprocess.run(
        [*FUSIONCELL, "init", "--charter", str(charter), "--data", str(server.data)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    made = setup_members(server.data, db_url, hooks)
    server.start(made["token"])

    sy = CellClient(server.url, made["token"], key=made["key"], party="SY", member="sy-liaison")
    tid, _ = sy.open_thread("general", "Convoy near the line", "en", ["IL", "SY", "US"])
    flash = sy.send(tid, "Acknowledge at once", "en", "FLASH").index

    def escalation_arrived() -> bool:
        return any(h.payload["kind"] != "cell.message.posted" for h in hooks.hits)

    # The message is told at once; the first escalation 2 s later. Kill the server then.
    until("the first escalation", escalation_arrived)

    def recorded_sent() -> bool:
        taken = {h.delivery for h in hooks.hits} | {
            m["X-Fusioncell-Delivery"] for m in box.messages
        }
        sent = {r.delivery for r in outbox(db_url) if r.state == "sent"}
        return taken <= sent

    for _ in range(100):
        os.kill(server.pid, signal.SIGSTOP)
        time.sleep(0.2)  # let what is on the wire land at the receivers
        if recorded_sent():
            break
        os.kill(server.pid, signal.SIGCONT)  # one is between "accepted" and "recorded": go on
        time.sleep(0.05)
    else:
        raise AssertionError("never found a moment outside the boundary window")
    server.kill()
    before = len(hooks.hits) + len(box.messages)
    assert not deadline_done(db_url), "killed before the escalation ended"

    time.sleep(3)  # the next escalation step falls due while no server runs
    server.start(made["token"])
    until("the escalation to end", lambda: deadline_done(db_url))

    def all_sent() -> bool:
        rows = [r for r in outbox(db_url) if r.channel != "web"]
        return bool(rows) and all(r.state == "sent" for r in rows)

    until("every delivery", all_sent)
    server.stop()

    rows = outbox(db_url)
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
