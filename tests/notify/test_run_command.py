"""`fusioncell notify run`: the notifier in a process of its own, beside a server that runs
without one (FUSIONCELL_NOTIFY_WORKER=false); stopped cleanly by SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from fusioncell.authz import Role
from fusioncell.cell import init_cell, open_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.db import reading
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, post_as, register_member_key
from fusioncell.ledger.entry import Author
from fusioncell.notify.tables import notify_outbox
from fusioncell.settings import Settings

FUSIONCELL = str(Path(sys.executable).parent / "fusioncell")
ALL = ["IL", "SY", "US"]


def test_notify_run_enqueues_then_stops_on_sigterm(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cell = init_cell(paris_charter_text(), Settings(data=data))
    for party, member, role in [
        ("SY", "sy-liaison", Role.LIAISON_OFFICER),
        ("IL", "il-liaison", Role.LIAISON_OFFICER),
        ("IL", "il-head", Role.HEAD_OF_DELEGATION),
    ]:
        do_add_member(cell, party, member, role)
    key = new_member_key("SY", "sy-liaison")
    register_member_key(cell, "SY", "sy-liaison", key.verifier.encode())
    sy = Author("SY", "sy-liaison", key.key_id_hex)
    opened = {"workstream": "general", "topic": {"text": "Now", "lang": "en"}, "parties": ALL}
    post_as(
        cell,
        key,
        sy,
        "cell.thread.opened",
        "t/run-cmd-0001",
        ALL,
        {"thread": "run-cmd-0001", **opened},
    )
    body = {"thread": "run-cmd-0001", "urgency": "FLASH", "text": "Confirm", "lang": "en"}
    flash = post_as(cell, key, sy, "cell.message.posted", "t/run-cmd-0001", ALL, body).index
    cell.close()

    proc = subprocess.Popen(
        [FUSIONCELL, "notify", "run", "--data", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        cell = open_cell(Settings(data=data))
        try:
            limit = time.monotonic() + 30
            got: list[str] = []
            while time.monotonic() < limit and len(got) < 2:
                with reading(cell.engine) as conn:
                    got = sorted(
                        conn.execute(
                            select(notify_outbox.c.recipient).where(
                                notify_outbox.c.entry_idx == flash
                            )
                        ).scalars()
                    )
                time.sleep(0.1)  # polling the other process's work, not a deadline
        finally:
            cell.close()
        assert got == ["il-head", "il-liaison"]  # the addressed party's members, on the web
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, output
    assert "notifier stopped" in output
