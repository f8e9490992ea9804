"""Which process runs the deadline engine: a lock the database or the OS holds for us.

PostgreSQL: a session advisory lock on a connection kept for it; if the process dies, its
session ends and the lock is free. SQLite (one machine): an flock on DATA/deadlines.lock,
which the kernel drops with the process.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from contextlib import suppress
from pathlib import Path

from sqlalchemy import Connection, Engine, text

# pg_try_advisory_lock(namespace, hashtext(current_schema())): one engine per cell, and
# cells in other schemas of the same database do not exclude each other.
PG_NAMESPACE = 0x46436C6B  # "FClk"
_TRY = text("SELECT pg_try_advisory_lock(:ns, hashtext(current_schema()))")
_UNLOCK = text("SELECT pg_advisory_unlock(:ns, hashtext(current_schema()))")
_ALIVE = text("SELECT 1")


def _namespace(name: str) -> int:
    # A stable 31-bit key per name (PostgreSQL's advisory lock keys are int4).
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") & 0x7FFFFFFF


class EngineLock:
    """`name` tells apart the program's singletons (the deadline engine, the notifier):
    each has its own advisory lock key (and file)."""

    def __init__(self, engine: Engine, data: Path, name: str = "deadlines") -> None:
        self.engine = engine
        self.path = data / f"{name}.lock"
        self.namespace = PG_NAMESPACE if name == "deadlines" else _namespace(name)
        self._conn: Connection | None = None
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fd is not None

    def acquire(self) -> bool:
        """Take the lock if it is free; never waits."""
        if self.held:
            return True
        if self.engine.dialect.name == "postgresql":
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                got = bool(conn.execute(_TRY, {"ns": self.namespace}).scalar())
            except Exception:
                conn.close()
                raise
            if got:
                self._conn = conn
            else:
                conn.close()
            return got
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def check(self) -> bool:
        """Whether the lock is still ours: a PostgreSQL session can be cut (server restart)."""
        if self._conn is not None:
            try:
                self._conn.execute(_ALIVE)
            except Exception:  # noqa: BLE001 - any failure: the session and its lock are gone
                self._drop()
                return False
        return self.held

    def release(self) -> None:
        if self._conn is not None:
            # Closing the session (_drop) frees the lock anyway, if this fails.
            with suppress(Exception):
                self._conn.execute(_UNLOCK, {"ns": self.namespace})
            self._drop()
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def _drop(self) -> None:
        if self._conn is not None:
            with suppress(Exception):  # it is being thrown away
                self._conn.invalidate()  # never back to the pool with a lock it may hold
                self._conn.close()
            self._conn = None
