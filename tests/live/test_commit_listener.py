"""The ledger tells of each commit: listeners in this process, NOTIFY to the others."""

from __future__ import annotations

import logging
import threading

import psycopg
import pytest

from fusioncell.cell import Cell
from fusioncell.ledger.store import LOG_CHANNEL
from tests.live.conftest import WAIT_S, append


def test_listeners_hear_each_commit_and_cannot_break_it(
    cell: Cell, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[int] = []
    threads: set[str] = set()

    def listener(size: int) -> None:
        heard.append(size)
        threads.add(threading.current_thread().name)

    def broken(size: int) -> None:
        raise RuntimeError("a listener's bug")

    cell.ledger.add_commit_listener(broken)
    cell.ledger.add_commit_listener(listener)
    with caplog.at_level(logging.ERROR, logger="fusioncell.ledger.store"):
        done = append(cell, [("IL",)] * 3)
    assert heard and heard[-1] == done[-1].index + 1 == cell.ledger.size()
    assert heard == sorted(heard)
    assert threads == {"ledger-committer"}
    assert "commit listener failed" in caplog.text
    cell.ledger.remove_commit_listener(listener)
    append(cell, [("IL",)])
    assert heard[-1] == done[-1].index + 1


def test_postgresql_is_notified_on_commit(cell: Cell, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("NOTIFY is PostgreSQL's")
    dsn = cell.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"LISTEN {LOG_CHANNEL}")
        (a,) = append(cell, [("IL",)])
        # Other cells' tests may share the database (and the channel): look for ours.
        payloads = []
        for n in conn.notifies(timeout=WAIT_S):
            payloads.append(n.payload)
            if n.payload == str(a.index + 1):
                break
    assert str(a.index + 1) in payloads
