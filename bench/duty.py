"""Deadline engine benchmark: many open deadlines falling due together; prints JSON.

    python bench/duty.py                      # 10,000 FLASH deadlines due over 5 s, SQLite
    python bench/duty.py --n 2000 --spread 2

A fresh Paris cell (SQLite) on a clock the benchmark drives: frozen while it posts --n
FLASH messages from SY to IL (one acknowledgement deadline each, 5 minutes after posting,
the posts spaced so that the deadlines fall evenly over --spread seconds), then running at
the real rate from 1 s before the first deadline. The deadline engine runs in its thread
(`DeadlineEngine.start`, as in a server) and writes, for each deadline, its
`system.deadline.missed` entry and the FLASH escalation step (due at once, "after 0m"). A
commit listener notes when each commit lands; the figure is, for each deadline, the delay
from its time to the commit of its missed entry (p50/p90/p99/max, in ms).
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fusioncell.app import create_app
from fusioncell.authz import Role
from fusioncell.cell import Cell, init_cell
from fusioncell.charter.schema import paris_charter_text
from fusioncell.clock import parse_rfc3339, rfc3339
from fusioncell.deadlines import MISSED, NOTIFIED, deadlines
from fusioncell.deadlines.engine import DeadlineEngine
from fusioncell.identity.accounts import do_add_member
from fusioncell.identity.devices import new_member_key, register_member_key
from fusioncell.identity.tokens import create_token
from fusioncell.ledger.canonical import b64e, loads_canonical
from fusioncell.ledger.entry import Author, build_statement, parse_submission
from fusioncell.ledger.tables import log_bodies, log_entries
from fusioncell.messaging import kinds
from fusioncell.notify import outbox
from fusioncell.settings import Settings

PARTIES = ["IL", "SY", "US"]
START = datetime(2026, 11, 26, 9, tzinfo=UTC)


class BenchClock:
    """Frozen at a set time while the benchmark sets up, then real time plus an offset."""

    def __init__(self, start: datetime) -> None:
        self._fixed = start
        self._offset: timedelta | None = None

    def now(self) -> datetime:
        if self._offset is None:
            return self._fixed
        return datetime.now(UTC) + self._offset

    def set(self, t: datetime) -> None:
        self._fixed = t

    def run_from(self, t: datetime) -> None:
        self._offset = t - datetime.now(UTC)


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(xs: list[float], p: float) -> float:
    return round(xs[min(len(xs) - 1, int(p / 100 * len(xs)))], 1)


def post(cell: Cell, clock: BenchClock, n: int, spread: float) -> None:
    """n FLASH messages from SY, the clock set so that their deadlines span `spread` s."""
    key = new_member_key("SY", "sy-liaison")
    register_member_key(cell, "SY", "sy-liaison", key.verifier.encode())
    author = Author("SY", "sy-liaison", key.key_id_hex)
    tid = "duty-bench-0001"

    def signed(kind: str, body: dict[str, Any]) -> Any:
        raw, body = build_statement(
            origin=cell.ledger.origin,
            kind=kind,
            subject=kinds.subject(tid),
            author=author,
            visibility=PARTIES,
            body={"thread": tid, **body},
            client_time=rfc3339(clock.now()),
        )
        return parse_submission(b64e(raw), b64e(key.sign(raw)), body)

    topic = {"text": "Duty bench", "lang": "en"}
    opened = {"workstream": "general", "topic": topic, "parties": PARTIES}
    cell.ledger.submit(signed(kinds.THREAD_OPENED, opened))
    step = timedelta(seconds=spread / n)
    futures = []
    for i in range(n):
        clock.set(START + i * step)
        body = {"urgency": "FLASH", "text": f"item {i}", "lang": "en"}
        futures.append(cell.ledger.submit_async(signed(kinds.POSTED, body)))
        if len(futures) >= 500:
            for f in futures:
                f.result()
            futures = []
    for f in futures:
        f.result()


def steps_taken(cell: Cell) -> tuple[int, int]:
    """(deadline steps taken, engine entries written)."""
    with cell.engine.connect() as c:
        steps = c.execute(select(func.coalesce(func.sum(deadlines.c.step), 0))).scalar()
        q = select(func.count()).where(log_entries.c.kind.in_([MISSED, NOTIFIED]))
        return int(steps or 0), int(c.execute(q).scalar() or 0)


def delays_ms(cell: Cell, commits: list[tuple[int, datetime]]) -> list[float]:
    """For each deadline: from its time to the commit of the entry that says it was missed."""
    with cell.engine.connect() as c:
        rows = c.execute(
            select(log_entries.c.idx, log_bodies.c.body)
            .join(log_bodies, log_bodies.c.idx == log_entries.c.idx)
            .where(log_entries.c.kind == MISSED)
        ).all()
    sizes = [s for s, _ in commits]
    out = []
    for r in rows:
        landed = commits[bisect.bisect_right(sizes, r.idx)][1]
        for item in loads_canonical(bytes(r.body))["items"]:
            out.append((landed - parse_rfc3339(item["due"])) / timedelta(milliseconds=1))
    return sorted(out)


def time_board(cell: Cell, rounds: int = 30) -> dict[str, Any]:
    """The supervisor's board (page and API) with every deadline open, over HTTP in-process."""
    do_add_member(cell, "US", "us-supervisor", Role.SUPERVISOR)
    _, token = create_token(cell.engine, "US", "us-supervisor", Role.SUPERVISOR, cell.clock.now())
    auth = {"Authorization": f"Bearer {token}"}
    out: dict[str, Any] = {}
    with TestClient(create_app(cell)) as http:
        # The server's notifier first reads the burst just posted (one FLASH message each):
        # timed apart, and the board is timed once it has caught up, as in steady state.
        t0 = time.monotonic()
        head = cell.ledger.size() - 1
        while time.monotonic() - t0 < 300:
            with cell.engine.connect() as c:
                if (outbox.cursor(c) or -1) >= head:
                    break
            time.sleep(0.1)
        out["notifier_caught_up_s"] = round(time.monotonic() - t0, 1)
        for name, path in (("page", "/board"), ("api", "/api/v1/board")):
            times = []
            for _ in range(rounds + 3):
                t0 = time.perf_counter()
                r = http.get(path, headers=auth)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, r.text
            times = sorted(times[3:])  # the first renders warm the caches
            out[name] = {
                "p50_ms": pct(times, 50),
                "p95_ms": pct(times, 95),
                "bytes": len(r.content),
            }
        out["open_clocks"] = http.get("/api/v1/board", headers=auth).json()["open"]["total"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--spread", type=float, default=5.0, help="seconds the deadlines span")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fc-duty-"))
    clock = BenchClock(START)
    try:
        settings = Settings(data=tmp / "data", deadline_engine=False)
        cell = init_cell(paris_charter_text(), settings, clock=clock)
        say(f"posting {args.n} FLASH messages")
        t0 = time.monotonic()
        post(cell, clock, args.n, args.spread)
        say(f"posted in {time.monotonic() - t0:.1f} s; timing the board")
        board = time_board(cell)
        say("the deadlines fall due in 1 s")
        commits: list[tuple[int, datetime]] = []
        cell.ledger.add_commit_listener(lambda size: commits.append((size, clock.now())))
        clock.run_from(START + timedelta(minutes=5) - timedelta(seconds=1))
        engine = DeadlineEngine(cell)
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        engine.start()
        limit = time.monotonic() + 1 + args.spread + 120
        done = entries = 0
        while done < 2 * args.n and time.monotonic() < limit:
            time.sleep(0.5)  # polling for the result; the engine runs on its own
            done, entries = steps_taken(cell)
        engine.stop()
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        delays = delays_ms(cell, commits)
        cell.close()
        out = {
            "bench": "duty",
            "backend": "sqlite",
            "deadlines": args.n,
            "spread_s": args.spread,
            "deadlines_missed": len(delays),
            "steps_taken": done,
            "entries_written": entries,
            "commits": len(commits),
            "delay_ms": {
                "p50": pct(delays, 50),
                "p90": pct(delays, 90),
                "p99": pct(delays, 99),
                "max": round(delays[-1], 1),
                "mean": round(statistics.fmean(delays), 1),
            },
            "board": board,
            "within_1s": round(sum(d <= 1000 for d in delays) / len(delays), 4),
            "engine_cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 2),
            "cpus": os.cpu_count(),
        }
        print(json.dumps(out, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
