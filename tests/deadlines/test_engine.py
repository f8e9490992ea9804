"""Deadlines: missed acknowledgements escalate per the charter, exactly once, across
engines and restarts. The clock is a FrozenClock that the tests move; nothing sleeps."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fusioncell.app import create_app
from fusioncell.cell import Cell, open_cell
from fusioncell.clock import FrozenClock
from fusioncell.deadlines import MISSED, NOTIFIED, ack_key, deadlines
from fusioncell.deadlines.engine import DeadlineEngine
from fusioncell.deadlines.lock import EngineLock
from fusioncell.deadlines.projector import SUBJECT
from fusioncell.errors import Conflict, Invalid
from fusioncell.ledger.tables import log_entries
from fusioncell.projections import rebuild
from tests.deadlines.conftest import steps
from tests.messaging.conftest import MakeClient
from tests.test_rebuild import snapshot

PARTIES = ["IL", "SY", "US"]


def clock(cell: Cell) -> FrozenClock:
    assert isinstance(cell.clock, FrozenClock)
    return cell.clock


def row(cell: Cell, key: str) -> Any:
    with cell.engine.connect() as c:
        return c.execute(select(deadlines).where(deadlines.c.key == key)).one()


def flash(member: MakeClient, urgency: str = "FLASH") -> tuple[Any, Any, str, int]:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    tid, _ = sy.open_thread("deescalation", "Movement near the line", "en", PARTIES)
    sent = sy.send(tid, "Confirm receipt", "en", urgency)
    return sy, il, tid, sent.index


def test_flash_missed_then_escalated_then_stops(cell: Cell, member: MakeClient) -> None:
    sy, il, tid, m = flash(member)
    engine = DeadlineEngine(cell)
    due = sy.message(tid, m)["ack"]["due"]
    assert row(cell, ack_key(m, "IL")).due == due and row(cell, ack_key(m, "IL")).state == "open"
    assert engine.run_due() == 0
    clock(cell).advance(timedelta(minutes=4, seconds=59))
    assert engine.run_due() == 0
    clock(cell).advance(timedelta(seconds=1))  # the FLASH deadline: 5 minutes
    assert engine.run_due() == 2  # missed, then the charter's one step ("after 0m")
    common = {
        "subject": f"t/{tid}",
        "visibility": ",IL,SY,US,",
        "author": "*",
        "key": ack_key(m, "IL"),
        "kind": "cell.ack",
        "party": "IL",
        "due": due,
        "thread": tid,
        "message": m,
        "urgency": "FLASH",
    }
    targets = [
        {"party": "IL", "role": "head_of_delegation"},
        {"party": "US", "role": "duty_officer"},
    ]
    assert steps(cell) == [
        {**common, "entry": MISSED, "step": 0},
        {
            **common,
            "entry": NOTIFIED,
            "step": 1,
            "targets": targets,
        },
    ]
    # Paris repeats the FLASH step twice, five minutes apart.
    clock(cell).advance(timedelta(minutes=4))
    assert engine.run_due() == 0
    clock(cell).advance(timedelta(minutes=1))
    assert engine.run_due() == 1
    clock(cell).advance(timedelta(minutes=5))
    assert engine.run_due() == 1
    assert [(s["step"], s["targets"]) for s in steps(cell)[2:]] == [(2, targets), (3, targets)]
    r = row(cell, ack_key(m, "IL"))
    assert (r.state, r.step, r.next_at) == ("done", 4, None)
    clock(cell).advance(timedelta(hours=5))
    assert engine.run_due() == 0  # the chain is over
    il.acknowledge(tid, m)  # late, and accepted
    assert row(cell, ack_key(m, "IL")).state == "done"
    assert len(steps(cell)) == 4


def test_acknowledged_before_due_nothing_happens(cell: Cell, member: MakeClient) -> None:
    _, il, tid, m = flash(member)
    ack = il.acknowledge(tid, m)
    r = row(cell, ack_key(m, "IL"))
    assert (r.state, r.closed_idx, r.next_at) == ("met", ack.index, None)
    clock(cell).advance(timedelta(hours=2))
    assert DeadlineEngine(cell).run_due() == 0
    assert steps(cell) == []


def test_acknowledged_between_steps_stops_the_chain(cell: Cell, member: MakeClient) -> None:
    # PRIORITY: 4 hours; then own duty officer at once, own head of delegation an hour later.
    _, il, tid, m = flash(member, "PRIORITY")
    engine = DeadlineEngine(cell)
    clock(cell).advance(timedelta(hours=4))
    assert engine.run_due() == 2
    assert [(s["entry"], s["step"]) for s in steps(cell)] == [(MISSED, 0), (NOTIFIED, 1)]
    assert steps(cell)[1]["targets"] == [{"party": "IL", "role": "duty_officer"}]
    r = row(cell, ack_key(m, "IL"))
    assert r.step == 2 and r.next_at > r.due  # the second step is planned
    clock(cell).advance(timedelta(minutes=30))
    assert engine.run_due() == 0
    il.acknowledge(tid, m)
    assert row(cell, ack_key(m, "IL")).state == "met"
    clock(cell).advance(timedelta(hours=1))
    assert engine.run_due() == 0
    assert len(steps(cell)) == 2


def test_priority_runs_the_whole_chain(cell: Cell, member: MakeClient) -> None:
    _, _, _, m = flash(member, "PRIORITY")
    engine = DeadlineEngine(cell)
    clock(cell).advance(timedelta(hours=6))  # both steps are past: taken in order
    assert engine.run_due() == 3
    got = steps(cell)
    assert [(s["entry"], s["step"]) for s in got] == [(MISSED, 0), (NOTIFIED, 1), (NOTIFIED, 2)]
    assert got[2]["targets"] == [{"party": "IL", "role": "head_of_delegation"}]
    assert row(cell, ack_key(m, "IL")).state == "done"


def test_retracted_message_cancels_its_deadlines(cell: Cell, member: MakeClient) -> None:
    sy, _, tid, m = flash(member)
    done = sy.retract(tid, m, "sent in error", "en")
    r = row(cell, ack_key(m, "IL"))
    assert (r.state, r.closed_idx, r.next_at) == ("cancelled", done.index, None)
    clock(cell).advance(timedelta(hours=1))
    assert DeadlineEngine(cell).run_due() == 0
    assert steps(cell) == []


def test_routine_and_the_supervisor_owe_nothing(cell: Cell, member: MakeClient) -> None:
    _, _, _, m = flash(member, "ROUTINE")
    with cell.engine.connect() as c:
        assert c.execute(select(deadlines)).all() == []
    clock(cell).advance(timedelta(days=2))
    assert DeadlineEngine(cell).run_due() == 0
    del m


def test_a_step_out_of_turn_is_refused(cell: Cell, member: MakeClient) -> None:
    _, _, _, m = flash(member)
    r = row(cell, ack_key(m, "IL"))
    item = {
        "key": r.key,
        "kind": r.kind,
        "subject": r.subject,
        "party": "IL",
        "due": r.due,
        "step": 0,
        "refs": {"thread": r.subject[2:], "message": m, "urgency": "FLASH"},
    }
    body = {"items": [item]}
    with pytest.raises(Conflict, match="not due yet"):
        cell.ledger.append_system(MISSED, SUBJECT, PARTIES, body)
    clock(cell).advance(timedelta(minutes=5))
    with pytest.raises(Invalid, match="subject"):
        cell.ledger.append_system(MISSED, r.subject, PARTIES, body)
    with pytest.raises(Invalid, match="does not match"):
        cell.ledger.append_system(MISSED, SUBJECT, PARTIES, {"items": [{**item, "party": "SY"}]})
    with pytest.raises(Invalid, match="does not match"):
        cell.ledger.append_system(MISSED, SUBJECT, ["IL", "US"], body)
    with pytest.raises(Invalid, match="1 to 250 items"):
        cell.ledger.append_system(MISSED, SUBJECT, PARTIES, {"items": []})
    cell.ledger.append_system(MISSED, SUBJECT, PARTIES, body)
    with pytest.raises(Conflict, match="not its next step"):
        cell.ledger.append_system(MISSED, SUBJECT, PARTIES, body)
    assert DeadlineEngine(cell).run_due() == 1  # the escalation step only


def test_restart_acts_on_what_passed_while_down(cell: Cell, member: MakeClient) -> None:
    _, _, _, m1 = flash(member)
    _, _, _, m2 = flash(member, "IMMEDIATE")
    clock(cell).advance(timedelta(hours=1))  # both passed while no engine ran
    later = open_cell(cell.settings, clock=cell.clock)  # the server comes back
    engine = DeadlineEngine(later)
    try:
        engine.start()
        limit = time.monotonic() + 30
        while len(steps(cell)) < 6 and time.monotonic() < limit:
            time.sleep(0.02)  # waiting for the thread, not for a deadline
    finally:
        engine.stop()
        later.close()
    got = [(s["key"], s["entry"], s["step"]) for s in steps(cell)]
    assert sorted(got) == sorted(
        [
            (ack_key(m1, "IL"), MISSED, 0),
            *[(ack_key(m1, "IL"), NOTIFIED, k) for k in (1, 2, 3)],  # FLASH repeats twice
            (ack_key(m2, "IL"), MISSED, 0),
            (ack_key(m2, "IL"), NOTIFIED, 1),
        ]
    )
    assert got.index((ack_key(m1, "IL"), MISSED, 0)) < got.index((ack_key(m1, "IL"), NOTIFIED, 1))


def test_two_engines_act_exactly_once(cell: Cell, member: MakeClient) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    tid, _ = sy.open_thread("deescalation", "Many items", "en", PARTIES)
    sent = [sy.send(tid, f"item {i}", "en", ("FLASH", "PRIORITY")[i % 2]).index for i in range(12)]
    sent += [il.send(tid, f"reply {i}", "en", "FLASH").index for i in range(4)]
    other = open_cell(cell.settings, clock=cell.clock)  # a second server on the same database
    engines = [DeadlineEngine(cell, batch=5), DeadlineEngine(other, batch=3)]
    clock(cell).advance(timedelta(hours=6))
    go = threading.Barrier(2)
    acted = [0, 0]

    def run(i: int) -> None:
        go.wait()
        acted[i] = engines[i].run_due()

    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        other.close()
    got = [(s["key"], s["step"]) for s in steps(cell)]
    # 6 FLASH and 4 FLASH replies: 4 steps each (missed, notified, 2 repeats); 6 PRIORITY: 3.
    assert len(got) == len(set(got)) == 10 * 4 + 6 * 3 == sum(acted)
    assert {k for k, _ in got} == {ack_key(m, "SY" if m in sent[12:] else "IL") for m in sent}


def test_rebuild_gives_the_same_deadlines(cell: Cell, member: MakeClient) -> None:
    sy, il, tid, m1 = flash(member)
    m2 = sy.send(tid, "second", "en", "PRIORITY").index
    m3 = sy.send(tid, "third", "en", "IMMEDIATE").index
    il.acknowledge(tid, m3)
    m4 = sy.send(tid, "fourth", "en", "FLASH").index
    sy.retract(tid, m4)
    clock(cell).advance(timedelta(hours=4))
    assert DeadlineEngine(cell).run_due() == 6  # m1: 4 steps, m2: 2 of its 3
    live = snapshot(cell)
    assert len(live["deadlines"]) == 4
    states = [row(cell, ack_key(k, "IL")).state for k in [m1, m2, m3, m4]]
    assert states == ["done", "open", "met", "cancelled"]
    rebuild(cell)
    assert snapshot(cell) == live


LOCK_HOLDER = """
import sys
from pathlib import Path
from fusioncell.db import make_engine
from fusioncell.deadlines.lock import EngineLock
from fusioncell.ledger.tables import log_entries
lock = EngineLock(make_engine(sys.argv[1]), Path(sys.argv[2]))
print(lock.acquire(), flush=True)
sys.stdin.read()
"""


def test_one_process_holds_the_engine_lock(cell: Cell) -> None:
    url, data = cell.settings.db_url(), cell.settings.data
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, url, str(data)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        mine = EngineLock(cell.engine, data)
        assert not mine.acquire() and not mine.held
        holder.stdin.close()  # type: ignore[union-attr]
        assert holder.wait(timeout=30) == 0  # the holder is gone, and its lock with it
        assert mine.acquire() and mine.check()
        again = EngineLock(cell.engine, data)
        assert not again.acquire()  # held in this process now: nobody else
        mine.release()
        assert again.acquire()
        again.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_the_server_runs_the_engine(cell: Cell, member: MakeClient) -> None:
    _, _, _, m = flash(member)
    cell.settings.deadline_engine = True
    with TestClient(create_app(cell)):
        clock(cell).advance(timedelta(minutes=5))
        limit = time.monotonic() + 30
        while len(steps(cell)) < 2 and time.monotonic() < limit:
            time.sleep(0.02)  # the engine wakes within max_sleep of a clock jump
    assert [(s["key"], s["step"]) for s in steps(cell)] == [
        (ack_key(m, "IL"), 0),
        (ack_key(m, "IL"), 1),
    ]


def test_a_burst_of_deadlines_shares_few_entries(cell: Cell, member: MakeClient) -> None:
    sy, il = member("SY", "sy-liaison"), member("IL", "il-liaison")
    tid, _ = sy.open_thread("deescalation", "A burst", "en", PARTIES)
    two, _ = sy.open_thread("general", "Only the supervisor", "en", ["SY", "US"])
    sent = [sy.send(tid, f"item {i}", "en", "FLASH").index for i in range(260)]
    sent += [il.send(tid, "reply", "en", "IMMEDIATE").index]
    sy.send(two, "to the supervisor", "en", "FLASH")
    clock(cell).advance(timedelta(minutes=31))
    # 261 FLASH: missed, notified, repeated at +5 and +10 minutes; 1 IMMEDIATE: 2 steps.
    assert DeadlineEngine(cell).run_due() == 261 * 4 + 2
    with cell.engine.connect() as c:
        entries = c.execute(
            select(log_entries.c.kind, log_entries.c.visibility)
            .where(log_entries.c.kind.in_([MISSED, NOTIFIED]))
            .order_by(log_entries.c.idx)
        ).all()
    # Per pass and step: one entry per visibility, at most 250 items each.
    missed = [e.visibility for e in entries if e.kind == MISSED]
    assert sorted(missed) == sorted([",IL,SY,US,", ",IL,SY,US,", ",SY,US,"])
    assert len(entries) == 3 + 3 * 3
    got = [(s["key"], s["step"]) for s in steps(cell)]
    assert len(got) == len(set(got)) == 261 * 4 + 2
