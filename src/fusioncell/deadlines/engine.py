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
from fusioncell.deadlines.projector import MAX_ITEMS, SUBJECT, action
from fusioncell.deadlines.schedule import Schedule
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
    # A deadline's missed entry before any escalation step due at the same time: under a
    # burst, every party learns first of what it missed.
    .order_by(deadlines.c.next_at, deadlines.c.step, deadlines.c.key)
    .limit(bindparam("n"))
)
_NEXT = select(func.min(deadlines.c.next_at))


def _parties(visibility: str) -> list[str]:
    return [p for p in visibility.split(",") if p]


def default_schedules(cell: Cell) -> list[Schedule]:
    """Every capability's timetable. Imported here, not at the top: the capabilities'
    packages import the deadlines package."""
    from fusioncell.line.schedule import LineCheckSchedule

    return [LineCheckSchedule(cell)]


class DeadlineEngine:
    def __init__(
        self,
        cell: Cell,
        *,
        batch: int = 1000,
        max_sleep: float = 2.0,
        lock_retry: float = 5.0,
        schedules: list[Schedule] | None = None,
    ) -> None:
        self.cell = cell
        # The capabilities' timetables (line checks); None: the program's default set.
        self.schedules = default_schedules(cell) if schedules is None else schedules
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
        """Take every step due at `now` (default: the cell's clock), in order of time, and
        write what the schedules hold due. Steps of the same kind and visibility share an
        entry (at most MAX_ITEMS), and a batch's entries are group-committed by the ledger.
        Returns the deadline steps taken plus the scheduled entries written; a step taken
        meanwhile by another engine is skipped."""
        at_dt = now or self.cell.clock.now()
        at = rfc3339(at_dt)
        acted = self._run_schedules(at_dt)
        while True:
            with reading(self.cell.engine) as conn:
                rows = conn.execute(_DUE, {"now": at, "n": self.batch}).all()
            if not rows:
                return acted
            groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for r in rows:  # in order of next_at: the oldest steps go first
                kind, item = action(r)
                groups.setdefault((kind, r.visibility), []).append(item)
            pending: list[tuple[int, Future[Appended]]] = []
            for (kind, vis), items in groups.items():
                for i in range(0, len(items), MAX_ITEMS):
                    chunk = items[i : i + MAX_ITEMS]
                    body = {"items": chunk}
                    pending.append((len(chunk), self._submit(kind, SUBJECT, _parties(vis), body)))
            done = 0
            for n, fut in pending:
                try:
                    fut.result()
                    done += n
                except DomainError as exc:
                    log.debug("deadline steps not taken: %s", exc)  # another engine took them
            acted += done
            if done == 0:
                return acted  # nothing moved: do not spin on steps the log refuses

    def _run_schedules(self, now: datetime) -> int:
        if not self.schedules:
            return 0
        with reading(self.cell.engine) as conn:
            actions = [a for s in self.schedules for a in s.due(conn, now)]
        written = 0
        for a in actions:
            try:
                self._submit(a.kind, a.subject, a.visibility, a.body).result()
                written += 1
            except DomainError as exc:
                log.debug("scheduled entry not written: %s", exc)  # written already
        return written

    def _submit(
        self, kind: str, subject: str, visibility: list[str], body: dict[str, Any]
    ) -> Future[Appended]:
        ledger = self.cell.ledger
        key = ledger.log_key
        if key is None:
            raise DomainError("the deadline engine needs the log key")
        raw, body = build_statement(
            origin=ledger.origin,
            kind=kind,
            subject=subject,
            author=Author(SYSTEM_PARTY, SYSTEM_MEMBER, key.key_id_hex),
            visibility=visibility,
            body=body,
            client_time=rfc3339(self.cell.clock.now()),
        )
        return ledger.submit_async(parse_submission(b64e(raw), b64e(key.sign(raw)), body))

    def next_at(self) -> datetime | None:
        """The next deadline step or scheduled entry."""
        now = self.cell.clock.now()
        with reading(self.cell.engine) as conn:
            nxt = conn.execute(_NEXT).scalar()
            times = [parse_rfc3339(nxt)] if nxt is not None else []
            for s in self.schedules:
                t = s.next_at(conn, now)
                if t is not None:
                    times.append(t)
        return min(times, default=None)

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
        failing = False
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
                failing = False
            except Exception:
                # The database may be away (a restart): say so once per outage, and wait
                # before trying again; a wake-up left set must not make the loop spin.
                if not failing:
                    log.exception("deadline engine pass failed; retrying")
                failing = True
                self._wake.clear()
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
