"""The database or its disk failing under a request: a clear 503 or 507, never a 500, and
nothing half-written (fusioncell.api.errors.storage_error). The slow tests beside this one
do the same with a real server, a restarted PostgreSQL and a filled file system."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from fusioncell.api.errors import storage_error
from fusioncell.app import create_app
from fusioncell.authz import Role
from fusioncell.cell import Cell, init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.identity.tokens import create_token
from fusioncell.ledger.export import export_log
from fusioncell.ledger.verify import verify_dir
from fusioncell.messaging import kinds
from fusioncell.messaging.client import CellClient
from fusioncell.settings import Settings
from tests.notify.conftest import free_port


def _raised(fn: Any) -> BaseException:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the exception is what the test looks at
        return exc
    raise AssertionError("nothing was raised")


def test_what_each_failure_means(tmp_path: Path) -> None:
    # A PostgreSQL that is not there (refused): the client library's own error, no SQLSTATE.
    gone = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x")
    refused = _raised(gone.connect)
    gone.dispose()
    assert isinstance(refused, OperationalError)
    got = storage_error(refused)
    assert got is not None and got.status == 503 and "send the same request again" in got.message

    db = sqlite3.connect(tmp_path / "t.db")
    db.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
    db.execute("INSERT INTO t VALUES (1)")
    db.commit()
    eng = create_engine(f"sqlite:///{tmp_path / 't.db'}")
    with eng.connect() as conn:
        # A bug stays a bug (500): a constraint broken, a table that does not exist.
        dup = _raised(lambda: conn.execute(text("INSERT INTO t VALUES (1)")))
        assert isinstance(dup, IntegrityError) and storage_error(dup) is None
        missing = _raised(lambda: conn.execute(text("SELECT * FROM nowhere")))
        assert isinstance(missing, DBAPIError) and storage_error(missing) is None
        conn.rollback()
        # SQLite's own "database or disk is full" (SQLITE_FULL): 507.
        conn.execute(text("PRAGMA max_page_count = 1"))
        full = _raised(lambda: conn.execute(text("CREATE TABLE u AS SELECT zeroblob(100000) AS b")))
    eng.dispose()
    db.close()
    got = storage_error(full)
    assert got is not None and got.status == 507 and "disk is full" in got.message

    # Files: a full disk or quota is 507; any other OS error is a bug.
    got = storage_error(OSError(errno.ENOSPC, "No space left on device"))
    assert got is not None and got.status == 507
    assert storage_error(OSError(errno.ENOENT, "No such file")) is None
    assert storage_error(ValueError("x")) is None


@pytest.fixture
def small_cell(tmp_path: Path) -> Iterator[Cell]:
    """SQLite, whose size can be capped for real (PRAGMA max_page_count: SQLite's pager
    then answers SQLITE_FULL, as on a full disk)."""
    c = init_cell(paris_charter_text(), Settings(data=tmp_path / "data"))
    yield c
    c.close()


def _cap(cell: Cell, pages: int | None) -> None:
    """Cap (or uncap) the database at `pages` pages on every connection from now on."""
    engine = cell.engine

    def cap(dbapi_conn: Any, _rec: Any) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages or 1073741823}")

    for fn in list(getattr(engine, "_fc_caps", [])):
        event.remove(engine, "connect", fn)
    event.listen(engine, "connect", cap)
    engine._fc_caps = [cap]  # type: ignore[attr-defined]
    engine.dispose()  # the pooled connections were opened without the cap


def test_a_full_database_refuses_writes_cleanly_and_recovers(small_cell: Cell) -> None:
    cell = small_cell
    key = new_member_key("SY", "sy-liaison")
    register_member_key(cell, "SY", "sy-liaison", key.verifier.encode())
    _, token = create_token(cell.engine, "SY", "sy-liaison", Role.LIAISON_OFFICER, cell.clock.now())
    with TestClient(create_app(cell)) as http:
        sy = CellClient(token=token, key=key, party="SY", member="sy-liaison", http=http)
        tid, _ = sy.open_thread("deescalation", "Before the disk filled", "en", ["SY", "US"])
        with cell.engine.connect() as conn:
            pages = int(conn.execute(text("PRAGMA page_count")).scalar_one())
        _cap(cell, pages)
        size_before = cell.ledger.size()

        refused = None
        for i in range(500):  # the free room left in the last pages fills first
            payload = sy.sign(
                kinds.POSTED,
                kinds.subject(tid),
                ["SY", "US"],
                {"thread": tid, "urgency": "ROUTINE", "text": f"message {i} " * 40, "lang": "en"},
            )
            r = http.post("/log/v1/append", json=payload, headers=sy.headers)
            assert r.status_code in (201, 507), r.text
            if r.status_code == 507:
                refused = (payload, r)
                break
        assert refused is not None, "the capped database never filled"
        payload, r = refused
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["retry-after"] == "5"
        assert r.json()["title"] == "insufficient_storage"
        assert r.json()["detail"] == (
            "the server's disk is full: nothing was written; try again later"
        )
        size_full = cell.ledger.size()
        assert size_full >= size_before

        # Reads go on; an upload is refused the same way; nothing was half-written.
        assert http.get("/log/v1/checkpoint", headers=sy.headers).status_code == 200
        assert http.get("/api/v1/cell/threads", headers=sy.headers).status_code == 200
        up = http.post(
            "/api/v1/cell/attachments",
            headers=sy.headers,
            files={"file": ("a.txt", b"a full disk " * 5000, "text/plain")},
        )
        assert up.status_code == 507, up.text
        assert cell.ledger.size() == size_full
        with cell.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"

        # Space again: the very same signed statement is taken, once.
        _cap(cell, None)
        again = http.post("/log/v1/append", json=payload, headers=sy.headers)
        assert again.status_code == 201, again.text
        assert again.json()["index"] == size_full
        replay = http.post("/log/v1/append", json=payload, headers=sy.headers)
        assert replay.status_code == 409 and "already in the log" in replay.text
        assert sy.send(tid, "and on", "en").index == size_full + 1

    export = cell.settings.data / "export"
    assert export_log(cell.ledger, export, None) == size_full + 2
    assert verify_dir(export, workers=1).size == size_full + 2
