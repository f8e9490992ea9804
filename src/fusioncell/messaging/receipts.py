"""Delivery and read receipts, per message and party: the first time the server delivered
a message to a member of the party over the live stream, and the first time one of them
had it on screen. They are facts the server observed, kept beside the log, not in it (an
acknowledgement, which a person signs, is in the log).

Deliveries arrive from the live stream many times a second: they are remembered in a
small set so that each (message, party) is written once, and written in batches by one
thread so the event loop never waits on the database.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, event, exists, insert, select

from fusioncell.authz import Principal
from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.db import WRITE, make_engine, transaction
from fusioncell.errors import N_, NotFound
from fusioncell.messaging.projector import split
from fusioncell.messaging.tables import cell_messages, cell_receipts, cell_threads

log = logging.getLogger(__name__)

DELIVERED = "delivered"
READ = "read"
# Recent (message, party) pairs already recorded by this process: only saves queries (the
# INSERT skips what is there), so a small bound keeps memory flat.
_SEEN_MAX = 4096
_COLUMNS = ["message", "party", "what", "member", "time"]
_r = cell_receipts.alias("r")


def _receipts_for(where: Any) -> Any:
    """INSERT ... SELECT of receipts for the messages `where` selects that are another
    party's and have none of this kind for the party yet. Built once, values bound."""
    src = select(
        cell_messages.c.idx,
        bindparam("party"),
        bindparam("what"),
        bindparam("member"),
        bindparam("time"),
    ).where(
        where,
        cell_messages.c.party != bindparam("party"),
        ~exists().where(
            and_(
                _r.c.message == cell_messages.c.idx,
                _r.c.party == bindparam("party"),
                _r.c.what == bindparam("what"),
            )
        ),
    )
    return insert(cell_receipts).from_select(_COLUMNS, src)


_BY_INDEX = _receipts_for(cell_messages.c.idx.in_(bindparam("ids", expanding=True)))
_BY_THREAD = _receipts_for(
    and_(cell_messages.c.thread == bindparam("thread"), cell_messages.c.idx <= bindparam("upto"))
)


def _record(
    conn: Connection, what: str, party: str, member: str, time: str, messages: Iterable[int]
) -> None:
    ids = sorted(set(messages))
    values = {"party": party, "what": what, "member": member, "time": time}
    for i in range(0, len(ids), 500):
        conn.execute(_BY_INDEX, {**values, "ids": ids[i : i + 500]})


def mark_read(cell: Cell, who: Principal, thread: str, upto: int) -> None:
    """Everything in `thread` up to index `upto` has been on the member's screen."""
    with transaction(cell.engine) as conn:
        t = conn.execute(select(cell_threads.c.parties).where(cell_threads.c.id == thread)).first()
        if t is None or not cell.ledger.genesis.may_read(who.party, split(t.parties)):
            raise NotFound(N_("no such thread"))
        now = rfc3339(cell.clock.now())
        for what in (READ, DELIVERED):  # read implies delivered (a page opened without a stream)
            conn.execute(
                _BY_THREAD,
                {
                    "party": who.party,
                    "what": what,
                    "member": who.member,
                    "time": now,
                    "thread": thread,
                    "upto": upto,
                },
            )


def _receipts_engine(cell: Cell) -> Engine:
    """Where receipts are written. Their commit need not wait for the disk (a power cut may
    lose the last second of receipts, never an entry of the log): on SQLite, a connection of
    their own with synchronous=NORMAL, so the single write lock is held for microseconds and
    the log's connections keep FULL; on PostgreSQL, SET LOCAL synchronous_commit in the
    transaction."""
    if cell.engine.dialect.name != "sqlite":
        return cell.engine
    engine = make_engine(
        cell.engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=0
    )

    @event.listens_for(engine, "connect")
    def _normal(dbapi_conn: Any, _rec: Any) -> None:
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    return engine


class DeliveryRecorder:
    """Takes (member, indexes) from the live stream and writes delivery receipts."""

    nonblocking = True  # the stream may call it on its event loop

    def __init__(self, cell: Cell, interval: float = 1.0) -> None:
        self.cell = cell
        self._engine = _receipts_engine(cell)
        self.interval = interval
        self._q: queue.SimpleQueue[tuple[str, str, list[int]] | None] = queue.SimpleQueue()
        self._seen: OrderedDict[tuple[int, str], None] = OrderedDict()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __call__(self, who: Principal, indexes: list[int]) -> None:
        """Called by the stream (from its worker threads) for every batch it sent; cheap."""
        with self._lock:
            fresh = [i for i in indexes if (i, who.party) not in self._seen]
            if not fresh:
                return
            for i in fresh:
                self._seen[(i, who.party)] = None
            while len(self._seen) > _SEEN_MAX:
                self._seen.popitem(last=False)
            self._q.put((who.party, who.member, fresh))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="delivery-receipts", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._q.get()
            batch = [item]
            # Gather what else arrives meanwhile: one transaction for all of it.
            time.sleep(self.interval)
            while True:
                try:
                    batch.append(self._q.get_nowait())
                except queue.Empty:
                    break
            if None in batch:
                stop = True
            self.flush([b for b in batch if b is not None])

    def flush(self, batch: list[tuple[str, str, list[int]]]) -> None:
        if not batch:
            return
        merged: dict[tuple[str, str], set[int]] = {}
        for party, member, ids in batch:
            merged.setdefault((party, member), set()).update(ids)
        now = rfc3339(self.cell.clock.now())
        try:
            with self._engine.connect() as plain:
                conn = plain.execution_options(**WRITE)
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                    for (party, member), got in merged.items():
                        _record(conn, DELIVERED, party, member, now, got)
        except Exception:
            # A receipt is worth less than the stream: log, and let a later read mark it.
            log.exception("could not record delivery receipts")

    def close(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._q.put(None)
                self._thread.join(timeout=5)
                self._thread = None
        if self._engine is not self.cell.engine:
            self._engine.dispose()
