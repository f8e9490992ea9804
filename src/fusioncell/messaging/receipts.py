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

from sqlalchemy import Connection, and_, exists, insert, literal, select

from fusioncell.authz import Principal
from fusioncell.cell import Cell
from fusioncell.clock import rfc3339
from fusioncell.db import transaction
from fusioncell.errors import N_, NotFound
from fusioncell.messaging.tables import cell_messages, cell_receipts, cell_threads

log = logging.getLogger(__name__)

DELIVERED = "delivered"
READ = "read"
_SEEN_MAX = 100_000


def _record(
    conn: Connection, what: str, party: str, member: str, time: str, messages: Iterable[int]
) -> None:
    """Insert receipts for those of `messages` that are messages of another party and
    have none of this kind for `party` yet (one INSERT ... SELECT, on both databases)."""
    ids = sorted(set(messages))
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        r = cell_receipts.alias("r")
        src = select(
            cell_messages.c.idx,
            literal(party),
            literal(what),
            literal(member),
            literal(time),
        ).where(
            cell_messages.c.idx.in_(chunk),
            cell_messages.c.party != party,
            ~exists().where(
                and_(r.c.message == cell_messages.c.idx, r.c.party == party, r.c.what == what)
            ),
        )
        conn.execute(
            insert(cell_receipts).from_select(["message", "party", "what", "member", "time"], src)
        )


def mark_read(cell: Cell, who: Principal, thread: str, upto: int) -> None:
    """Everything in `thread` up to index `upto` has been on the member's screen."""
    with transaction(cell.engine) as conn:
        t = conn.execute(select(cell_threads.c.parties).where(cell_threads.c.id == thread)).first()
        if t is None or (
            f",{who.party}," not in t.parties and who.party not in cell.ledger.genesis.sees_all
        ):
            raise NotFound(N_("no such thread"))
        ids = conn.execute(
            select(cell_messages.c.idx).where(
                cell_messages.c.thread == thread, cell_messages.c.idx <= upto
            )
        ).scalars()
        now = rfc3339(cell.clock.now())
        _record(conn, READ, who.party, who.member, now, ids)
        # Read implies delivered, for a member who opened the page without the stream.
        _record(conn, DELIVERED, who.party, who.member, now, ids)


class DeliveryRecorder:
    """Takes (member, indexes) from the live stream and writes delivery receipts."""

    def __init__(self, cell: Cell, interval: float = 0.25) -> None:
        self.cell = cell
        self.interval = interval
        self._q: queue.SimpleQueue[tuple[str, str, list[int]] | None] = queue.SimpleQueue()
        self._seen: OrderedDict[tuple[int, str], None] = OrderedDict()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __call__(self, who: Principal, indexes: list[int]) -> None:
        """Called by the stream for every batch it sent; cheap, never blocks."""
        fresh = [i for i in indexes if (i, who.party) not in self._seen]
        if not fresh:
            return
        for i in fresh:
            self._seen[(i, who.party)] = None
        while len(self._seen) > _SEEN_MAX:
            self._seen.popitem(last=False)
        self._q.put((who.party, who.member, fresh))
        with self._lock:
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
        now = rfc3339(self.cell.clock.now())
        try:
            with transaction(self.cell.engine) as conn:
                for party, member, ids in batch:
                    _record(conn, DELIVERED, party, member, now, ids)
        except Exception:
            # A receipt is worth less than the stream: log, and let a later read mark it.
            log.exception("could not record delivery receipts")

    def close(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._q.put(None)
                self._thread.join(timeout=5)
                self._thread = None
