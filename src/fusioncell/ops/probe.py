"""Readiness and the cell's state for metrics: the few queries an operator's tools run.

Readiness asks the database through a connection of its own, opened for each probe and
closed after it (no pool): a pooled connection could answer from a SQLite file already
deleted, or fail once after a PostgreSQL restart that the pool has not noticed yet. The
SQLite file is opened read-write but never created (`mode=rw`), so a probe of a missing
database reports it instead of making an empty one.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.db import reading
from fusioncell.deadlines.tables import deadlines
from fusioncell.ledger.tables import log_head
from fusioncell.notify.outbox import CURSOR, FAILED, PENDING
from fusioncell.notify.tables import notify_cursor, notify_outbox

log = logging.getLogger(__name__)

CHECKS = ("database", "migrations", "log")
PROBE_TIMEOUT_S = 3


@cache
def migrations_head() -> str:
    """The newest migration this program knows (read from its scripts once)."""
    from alembic.script import ScriptDirectory

    from fusioncell.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations")
    return str(head)


def probe_engine(url: str) -> Engine:
    """An engine that opens a fresh connection per use, with short timeouts."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        path = u.database or ""

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(
                f"file:{quote(path)}?mode=rw",
                uri=True,
                timeout=PROBE_TIMEOUT_S,
                check_same_thread=False,
            )

        return create_engine("sqlite://", creator=connect, poolclass=NullPool)
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    return create_engine(u, poolclass=NullPool, connect_args={"connect_timeout": PROBE_TIMEOUT_S})


def _database(conn: Connection) -> bool:
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET statement_timeout = {PROBE_TIMEOUT_S * 1000}"))
    return conn.execute(text("SELECT 1")).scalar() == 1


def _migrations(conn: Connection) -> bool:
    """The schema is at this program's newest migration (not older, nor newer)."""
    version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return version == migrations_head()


def _log(conn: Connection) -> bool:
    """The log's head reads, and the log has its entry 0."""
    size = conn.execute(select(log_head.c.size).where(log_head.c.id == 1)).scalar()
    return size is not None and int(size) >= 1


_CHECKS: dict[str, Callable[[Connection], bool]] = {
    "database": _database,
    "migrations": _migrations,
    "log": _log,
}


@dataclass
class Readiness:
    ok: bool
    checks: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        failed = next((c for c in CHECKS if self.checks.get(c) == "failed"), None)
        out: dict[str, Any] = {"status": "ready" if self.ok else "unavailable"}
        if failed is not None:
            out["failed"] = failed
        out["checks"] = self.checks
        return out


class Prober:
    """One per app. Failures are logged once per outage (probes come every few seconds),
    without their detail in the answer: it would tell anyone paths and SQL."""

    def __init__(self, url: str) -> None:
        self.engine = probe_engine(url)
        self._failing: str | None = None
        self._lock = threading.Lock()

    def ready(self) -> Readiness:
        checks = dict.fromkeys(CHECKS, "not checked")
        step = CHECKS[0]
        failure: Exception | None = None
        try:
            with self.engine.connect() as conn:
                for step in CHECKS:
                    if not _CHECKS[step](conn):
                        break
                    checks[step] = "ok"
        except Exception as exc:  # noqa: BLE001 - whatever failed, the check failed
            failure = exc
        ok = all(v == "ok" for v in checks.values())
        if not ok:
            checks[step] = "failed"
        self._report(None if ok else step, failure)
        return Readiness(ok, checks)

    def _report(self, step: str | None, exc: Exception | None) -> None:
        with self._lock:
            was, self._failing = self._failing, step
        if step is not None and was != step:
            why = type(exc).__name__ if exc is not None else "unexpected answer"
            log.warning("not ready: the %s check failed (%s)", step, why)
        elif step is None and was is not None:
            log.warning("ready again (the %s check passes)", was)

    def close(self) -> None:
        self.engine.dispose()


def cell_state(cell: Cell) -> dict[str, Any]:
    """What the metrics' CellCollector shows, in one read-only snapshot."""
    d, o = deadlines.c, notify_outbox.c
    now = rfc3339(cell.clock.now())
    with reading(cell.engine) as conn:
        size = conn.execute(select(log_head.c.size).where(log_head.c.id == 1)).scalar() or 0
        open_rows = conn.execute(
            select(d.party, d.kind, func.count()).where(d.state == "open").group_by(d.party, d.kind)
        ).all()
        overdue_rows = conn.execute(
            select(d.party, func.count()).where(d.state == "open", d.due < now).group_by(d.party)
        ).all()
        outbox_rows = conn.execute(
            select(o.channel, o.state, func.count())
            .where(o.state.in_([PENDING, FAILED]))
            .group_by(o.channel, o.state)
        ).all()
        cursor = conn.execute(
            select(notify_cursor.c.idx).where(notify_cursor.c.name == CURSOR)
        ).scalar()
    done = -1 if cursor is None else int(cursor)
    return {
        "log_size": int(size),
        "deadlines_open": {(str(p), str(k)): int(n) for p, k, n in open_rows},
        "deadlines_overdue": {str(p): int(n) for p, n in overdue_rows},
        "outbox": {(str(c), str(s)): int(n) for c, s, n in outbox_rows},
        "notify_behind": max(0, int(size) - 1 - done),
    }
