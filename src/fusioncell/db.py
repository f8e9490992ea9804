"""Engine, connections and transactions: the only place that begins and commits.

SQLite runs in WAL mode with synchronous=FULL (an acknowledged append survives a crash and
a power cut); write transactions take the write lock up front (BEGIN IMMEDIATE) so two
writers never discover their conflict half-way. PostgreSQL serialises appends with a row
lock on the log head.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

WRITE = {"fc_write": True}


def make_engine(url: str, **kw: Any) -> Engine:
    # An error's text never carries the statement's parameters (bodies, hashes, secrets):
    # it reaches the logs (docs/operations.md).
    kw.setdefault("hide_parameters", True)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            u,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=kw.pop("pool_size", 8),
            max_overflow=kw.pop("max_overflow", 16),
            **kw,
        )
        _sqlite_setup(engine)
        return engine
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    return create_engine(
        u,
        pool_size=kw.pop("pool_size", 8),
        max_overflow=kw.pop("max_overflow", 16),
        # No pre-ping: it costs a round trip per checkout; dead connections are recycled
        # and a failed statement reconnects on the next checkout.
        pool_recycle=1800,
        **kw,
    )


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: sqlite3.Connection, _rec: Any) -> None:
        # Take transaction control from pysqlite so that BEGIN is ours to issue.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # single-statement reads: no transaction to open, none left open
        mode = "IMMEDIATE" if options.get("fc_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def transaction(engine: Engine, *, write: bool = True) -> Iterator[Connection]:
    """One transaction; commits on success, rolls back on any exception."""
    with engine.connect() as plain:
        conn = plain.execution_options(**WRITE) if write else plain
        with conn.begin():
            yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read-only snapshot (one transaction, so every query sees the same log)."""
    with engine.connect() as conn, conn.begin():
        yield conn


def target_metadata() -> Any:
    """Every table of every package, for migrations."""
    import fusioncell.commerce.tables
    import fusioncell.deadlines.tables
    import fusioncell.deesc.tables
    import fusioncell.diplomacy.tables
    import fusioncell.disputes.tables
    import fusioncell.duty.tables
    import fusioncell.identity.tables
    import fusioncell.identity.tokens
    import fusioncell.intel.tables
    import fusioncell.language.tables
    import fusioncell.line.tables
    import fusioncell.messaging.tables
    import fusioncell.notify.tables
    import fusioncell.search.tables
    import fusioncell.statements.tables
    import fusioncell.understandings.tables  # noqa: F401 - registers their tables
    from fusioncell.ledger.tables import metadata

    return metadata


def alembic_config(conn: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    from alembic import command

    with engine.connect() as conn:
        cfg = alembic_config(conn.execution_options(**WRITE))
        command.upgrade(cfg, "head")
        conn.commit()
