"""The deadline engine: acts on every open deadline whose time has come, with system entries.

`run_due(now)` is one pass, safe to run anywhere at any time (the projector refuses a step
taken already). `start()` runs passes in a thread while this process holds the engine lock
(EngineLock): at start it catches up on whatever passed while no engine ran, then sleeps
until the next deadline, or `max_sleep`, or a deadline opened here wakes it.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select

from fusioncell.cell import Cell
from fusioncell.clock import parse_rfc3339, rfc3339
from fusioncell.db import reading
from fusioncell.deadlines import api
from fusioncell.deadlines.lock import EngineLock
from fusioncell.deadlines.projector import action
from fusioncell.deadlines.tables import deadlines
from fusioncell.errors import DomainError
from fusioncell.ledger.canonical import b64e
from fusioncell.ledger.entry import (
    SYSTEM_MEMBER,
    SYSTEM_PARTY,
    Author,
    build_statement,
    parse_submission,
)
from fusioncell.ledger.store import Appended

log = logging.getLogger(__name__)

_DUE = (
    select(deadlines)
    .where(deadlines.c.next_at <= bindparam("now"))
    .order_by(deadlines.c.next_at, deadlines.c.key)
    .limit(bindparam("n"))
)
_NEXT = select(func.min(deadlines.c.next_at))


class DeadlineEngine:
    def __init__(
        self,
        cell: Cell,
        *,
        batch: int = 1000,
        max_sleep: float = 2.0,
        lock_retry: float = 5.0,
    ) -> None:
        self.cell = cell
        self.batch = batch
        self.max_sleep = max_sleep  # also bounds how late a clock change is noticed
        self.lock_retry = lock_retry
        self.lock = EngineLock(cell.engine, cell.data)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._soonest: datetime | None = None  # hinted by deadlines opened in this process
        self._until: datetime | None = None  # when the sleeping engine means to wake
        self._hint_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # ---- one pass ------------------------------------------------------------------------

    def run_due(self, now: datetime | None = None) -> int:
        """Take every step due at `now` (default: the cell's clock), in order of time, in
        batches that the ledger group-commits. Returns the entries written; a step taken
        meanwhile by another engine is skipped."""
        at = rfc3339(now or self.cell.clock.now())
        acted = 0
        while True:
            with reading(self.cell.engine) as conn:
                rows = conn.execute(_DUE, {"now": at, "n": self.batch}).all()
            if not rows:
                return acted
            pending = [self._submit(r) for r in rows]
            done = 0
            for fut in pending:
                try:
                    fut.result()
                    done += 1
                except DomainError as exc:
                    log.debug("deadline step not taken: %s", exc)  # another engine took it
            acted += done
            if done == 0:
                return acted  # nothing moved: do not spin on steps the log refuses

    def _submit(self, row: Any) -> Future[Appended]:
        kind, body = action(row)
        ledger = self.cell.ledger
        key = ledger.log_key
        if key is None:
            raise DomainError("the deadline engine needs the log key")
        raw, body = build_statement(
            origin=ledger.origin,
            kind=kind,
            subject=row.subject,
            author=Author(SYSTEM_PARTY, SYSTEM_MEMBER, key.key_id_hex),
            visibility=[p for p in row.visibility.split(",") if p],
            body=body,
            client_time=rfc3339(self.cell.clock.now()),
        )
        return ledger.submit_async(parse_submission(b64e(raw), b64e(key.sign(raw)), body))

    def next_at(self) -> datetime | None:
        with reading(self.cell.engine) as conn:
            nxt = conn.execute(_NEXT).scalar()
        return None if nxt is None else parse_rfc3339(nxt)

    # ---- the background thread -------------------------------------------------------------

    def hint(self, at: datetime) -> None:
        """A deadline falling due at `at` was opened in this process."""
        with self._hint_lock:
            if self._soonest is None or at < self._soonest:
                self._soonest = at
                # Woken only for a time before the one it sleeps until: under a stream of
                # messages whose deadlines lie minutes ahead, the engine sleeps on.
                if self._until is None or at < self._until:
                    self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        api.register(self)
        self._thread = threading.Thread(target=self._run, name="deadline-engine", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        api.unregister(self)
        self.lock.release()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.lock.check() and not self.lock.acquire():
                    self._stop.wait(self.lock_retry)  # another process is the engine
                    continue
                self._wake.clear()
                with self._hint_lock:
                    self._soonest = None
                acted = self.run_due()
                delay = self._delay()
                if delay == 0 and acted == 0:
                    delay = 0.05  # due but refused (a clock set back?): retry, do not spin
            except Exception:
                log.exception("deadline engine pass failed")
                delay = self.max_sleep
            if delay > 0:
                with self._hint_lock:
                    self._until = self.cell.clock.now() + timedelta(seconds=delay)
                self._wake.wait(delay)
                with self._hint_lock:
                    self._until = None

    def _delay(self) -> float:
        """Seconds until the next step, by the cell's clock, at most max_sleep."""
        nxt = self.next_at()
        with self._hint_lock:
            if self._soonest is not None and (nxt is None or self._soonest < nxt):
                nxt = self._soonest
        if nxt is None:
            return self.max_sleep
        left = (nxt - self.cell.clock.now()) / timedelta(seconds=1)
        return min(max(left, 0.0), self.max_sleep)
